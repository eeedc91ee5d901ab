"""Creating and changing a channel's daily-question schedule.

Arguments arrive as text from any adapter; every one is checked here so
Discord, Slack and the terminal refuse bad input with the same words.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.errors import NotFound, UserError
from bot.core.models import ChannelRef, Schedule, SpaceKey
from bot.core.ports import Clock, JobScheduler, QuestionSource, Store
from bot.core.questions import Difficulty
from bot.core.rounds import RoundService
from bot.core.settings import GameSettings
from bot.core.timeutil import (
    ALL_DAYS,
    check_reveal_delay,
    local_date,
    next_occurrence,
    parse_duration,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
    previous_occurrence,
    zone,
)


def parse_difficulty(text: str | None) -> Difficulty | None:
    if text is None or text.strip().lower() in {"", "any", "all"}:
        return None
    try:
        return Difficulty(text.strip().lower())
    except ValueError:
        allowed = ", ".join(d.value for d in Difficulty)
        raise UserError(f"'{text}' is not a difficulty; use one of {allowed} or any") from None


def parse_topics(text: str | None, bank: QuestionSource) -> tuple[str, ...]:
    if text is None or text.strip().lower() in {"", "any", "all"}:
        return ()
    topics = tuple(
        dict.fromkeys(t.strip().lower() for t in text.replace(" ", ",").split(",") if t.strip())
    )
    unknown = [t for t in topics if not bank.has_topic(t)]
    if unknown:
        raise UserError(
            f"unknown topic {', '.join(unknown)}; known topics: {', '.join(bank.topics())}"
        )
    return topics


class ScheduleService:
    def __init__(
        self,
        *,
        store: Store,
        bank: QuestionSource,
        scheduler: JobScheduler,
        clock: Clock,
        settings: GameSettings,
    ) -> None:
        self.store = store
        self.bank = bank
        self.scheduler = scheduler
        self.clock = clock
        self.settings = settings

    async def setup(
        self,
        channel: ChannelRef,
        *,
        at: str,
        timezone: str | None = None,
        reveal_after: str | None = None,
        days: str | None = None,
        topics: str | None = None,
        difficulty: str | None = None,
    ) -> Schedule:
        """Create the channel's schedule or replace it; unspecified options keep
        their current value (or the default for a new schedule)."""
        current = await self.store.get_schedule(channel)
        tz_name = (
            parse_timezone(timezone).key
            if timezone
            else (current.timezone if current else self.settings.default_timezone)
        )
        schedule = Schedule(
            id=current.id if current else None,
            channel=channel,
            post_time=parse_time_of_day(at),
            timezone=tz_name,
            weekdays=parse_weekdays(days) if days else (current.weekdays if current else ALL_DAYS),
            reveal_after=check_reveal_delay(parse_duration(reveal_after))
            if reveal_after
            else (current.reveal_after if current else self.settings.default_reveal_after),
            topics=parse_topics(topics, self.bank)
            if topics is not None
            else (current.topics if current else ()),
            difficulty=parse_difficulty(difficulty)
            if difficulty is not None
            else (current.difficulty if current else None),
            paused=False,
            recap=current.recap if current else True,
            failing=None,
        )
        saved = await self.store.save_schedule(schedule)
        self.scheduler.set_daily(saved)
        return saved

    async def get(self, channel: ChannelRef) -> Schedule:
        schedule = await self.store.get_schedule(channel)
        if schedule is None:
            raise NotFound("this channel has no daily question yet; set one up with /daily setup")
        return schedule

    async def in_space(self, space: SpaceKey) -> list[Schedule]:
        return await self.store.list_schedules(space)

    async def set_paused(self, channel: ChannelRef, paused: bool) -> Schedule:
        schedule = await self.get(channel)
        if schedule.paused == paused:
            raise UserError(
                f"the daily question here is already {'paused' if paused else 'running'}"
            )
        # Resuming is how an admin says the cause of a failure is fixed.
        failing = schedule.failing if paused else None
        saved = await self.store.save_schedule(replace(schedule, paused=paused, failing=failing))
        if paused and saved.id is not None:
            self.scheduler.remove_daily(saved.id)
        else:
            self.scheduler.set_daily(saved)
        return saved

    async def set_recap(self, channel: ChannelRef, enabled: bool) -> Schedule:
        schedule = await self.get(channel)
        saved = await self.store.save_schedule(replace(schedule, recap=enabled))
        if not saved.paused:
            self.scheduler.set_daily(saved)
        return saved

    async def remove(self, channel: ChannelRef) -> Schedule:
        schedule = await self.get(channel)
        assert schedule.id is not None
        await self.store.delete_schedule(schedule.id)
        self.scheduler.remove_daily(schedule.id)
        return schedule

    async def disable(self, channel: ChannelRef, reason: str) -> Schedule | None:
        """Pause a schedule the bot can no longer serve (channel deleted, bot removed)
        and keep the reason for ``/daily show``; scores and history stay."""
        schedule = await self.store.get_schedule(channel)
        if schedule is None or (schedule.paused and schedule.failing == reason):
            return None
        saved = await self.store.save_schedule(replace(schedule, paused=True, failing=reason))
        if saved.id is not None:
            self.scheduler.remove_daily(saved.id)
        return saved

    async def disable_space(self, space: SpaceKey, reason: str) -> list[Schedule]:
        disabled = []
        for schedule in await self.store.list_schedules(space):
            saved = await self.disable(schedule.channel, reason)
            if saved is not None:
                disabled.append(saved)
        return disabled

    def next_post(self, schedule: Schedule) -> datetime | None:
        """The next post instant (UTC), or ``None`` when paused."""
        if schedule.paused:
            return None
        return next_occurrence(
            schedule.post_time,
            zone(schedule.timezone),
            schedule.weekdays,
            self.clock.now(),
            inclusive=False,
        )


async def catch_up(
    schedule: Schedule,
    store: Store,
    rounds: RoundService,
    clock: Clock,
    settings: GameSettings,
) -> bool:
    """Post the question a schedule missed while nobody had its timer armed (the
    bot was down, or the process that owned it died), if its time is at most
    ``late_post_grace`` ago and that day has no round yet. True when posted."""
    now = clock.now()
    due = previous_occurrence(schedule.post_time, zone(schedule.timezone), schedule.weekdays, now)
    if due is None or now - due > settings.late_post_grace:
        return False
    if await store.has_scheduled_round(schedule.channel, local_date(due, schedule.timezone)):
        return False
    assert schedule.id is not None
    return await rounds.post_scheduled(schedule.id) is not None
