"""``/remind``: an opt-in private message on days when a user has reviews due.

A reminder belongs to one platform user: a wall-clock time in an IANA zone,
and the local date of the last reminder sent. The job fires every day at that
time (``LocalTimeTrigger``, so daylight saving is handled by the same rules
as the daily question) and sends at most one message per local day:

* the day is claimed in the database before anything is sent, the way a
  round is claimed before it is posted, so a restart, a repeated job or a
  second process can never send a second one for the same date;
* nothing is sent, and nothing claimed, when no card is due;
* a platform that refuses for good (the user closed their DMs, blocked the
  bot, left) switches the reminder off with one log line and no message to
  anyone: the user asked for a DM, and there is nowhere else to say it;
* a transient failure gives the day back and tries again a little later,
  within the late-post grace.

Times and zones are read with the same parsers as ``/daily setup``, so both
accept exactly the same words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from bot.core.errors import UserError
from bot.core.models import UserRef
from bot.core.ports import Clock, JobScheduler, Platform, PostFailed, Store
from bot.core.settings import GameSettings
from bot.core.timeutil import (
    ALL_DAYS,
    local_date,
    next_occurrence,
    parse_time_of_day,
    parse_timezone,
    previous_occurrence,
    zone,
)

log = logging.getLogger(__name__)

DEFAULT_TIME = time(9, 0)
"""When ``/remind on`` is given no time (and the user had none before)."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One user's daily reminder, as stored."""

    user_id: int
    """The store's key of the user; also the job's id."""
    user: UserRef
    at: time
    timezone: str
    enabled: bool = True
    last_sent: date | None = None
    """The local date (in ``timezone``) of the last reminder claimed."""


class ReminderService:
    def __init__(
        self,
        *,
        store: Store,
        platforms: Mapping[str, Platform],
        scheduler: JobScheduler,
        clock: Clock,
        settings: GameSettings,
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.scheduler = scheduler
        self.clock = clock
        self.settings = settings

    async def enable(
        self, user: UserRef, at: str | None = None, timezone: str | None = None
    ) -> Reminder:
        """Turn the reminder on, or change its time or zone.

        Anything not given keeps its current value; a first reminder defaults
        to 09:00 in the bot's ``game.default_timezone`` (UTC unless configured).
        The date of the last reminder is kept, so switching off and on again,
        or moving the time later, never brings a second one the same day.
        """
        current = await self.store.get_reminder(user)
        when = (
            parse_time_of_day(at) if at else (current.at if current is not None else DEFAULT_TIME)
        )
        tz_name = (
            parse_timezone(timezone).key
            if timezone
            else (current.timezone if current is not None else self.settings.default_timezone)
        )
        saved = await self.store.save_reminder(user, when, tz_name, self.clock.now())
        self.scheduler.set_reminder(saved)
        return saved

    async def disable(self, user: UserRef) -> Reminder:
        current = await self.store.get_reminder(user)
        if current is None or not current.enabled:
            raise UserError("your daily reminder is already off; turn it on with /remind on")
        await self.store.set_reminder_enabled(current.user_id, False, self.clock.now())
        self.scheduler.remove_reminder(current.user_id)
        return replace(current, enabled=False)

    async def get(self, user: UserRef) -> Reminder | None:
        return await self.store.get_reminder(user)

    def next_reminder(self, reminder: Reminder) -> datetime | None:
        """The next instant (UTC) the reminder's job fires, or None when off.

        A message goes out then only if cards are due and none went out that
        day already."""
        if not reminder.enabled:
            return None
        return next_occurrence(
            reminder.at, zone(reminder.timezone), ALL_DAYS, self.clock.now(), inclusive=False
        )

    async def send_due(self, user_id: int, now: datetime | None = None) -> bool:
        """The job: message the user if cards are due and this day's reminder
        is not sent yet. True when a message went out.

        The day is the local date of the reminder's latest time at or before
        ``now``, and that time must be at most ``late_post_grace`` ago: a job
        run late, a retry and the catch-up at start-up all count for the day
        they were meant for.
        """
        now = now or self.clock.now()
        reminder = await self.store.get_reminder_by_id(user_id)
        if reminder is None or not reminder.enabled:
            self.scheduler.remove_reminder(user_id)  # a job left over from a change
            return False
        pending = self._pending(reminder, now)
        if pending is None:
            return False
        due_at, day = pending
        platform = self.platforms.get(reminder.user.platform)
        if platform is None:
            # That platform is not running in this process (Slack users while
            # only Discord is up, say): not a refusal, so nothing changes.
            log.info("no %s platform to remind user %d", reminder.user.platform, user_id)
            return False
        due = await self.store.due_card_count(reminder.user, now)
        if due <= 0:
            return False
        if not await self.store.claim_reminder(user_id, day):
            return False
        try:
            await platform.send_private(reminder.user, reminder_text(due))
        except PostFailed as exc:
            if exc.permanent:
                await self.store.set_reminder_enabled(user_id, False, now)
                self.scheduler.remove_reminder(user_id)
                log.info(
                    "daily reminder for %s user %s switched off: %s",
                    reminder.user.platform,
                    reminder.user.external_id,
                    exc.reason,
                )
                return False
            await self.store.release_reminder(user_id, day, reminder.last_sent)
            self._retry(reminder, due_at, now, exc)
            return False
        return True

    def _retry(self, reminder: Reminder, due_at: datetime, now: datetime, exc: PostFailed) -> None:
        """Try again ``retry_post_after`` later, while that is within
        ``late_post_grace`` of the reminder's time."""
        again = now + self.settings.retry_post_after
        if again - due_at > self.settings.late_post_grace:
            log.info("daily reminder for user %d not sent today: %s", reminder.user_id, exc.reason)
            return
        log.info(
            "daily reminder for user %d failed (%s); trying again at %s",
            reminder.user_id,
            exc.reason,
            again.isoformat(timespec="seconds"),
        )
        self.scheduler.retry_reminder(reminder.user_id, again)

    async def restore(self) -> tuple[int, int]:
        """Start-up: re-add every reminder's job, and send one missed while
        the bot was down if its time is within ``late_post_grace``.
        Returns (reminders scheduled, late reminders sent)."""
        reminders = await self.store.list_reminders()
        late = 0
        for reminder in reminders:
            if await self.adopt(reminder):
                late += 1
        return len(reminders), late

    async def adopt(self, reminder: Reminder) -> bool:
        """Arm one reminder's job and send today's if it was missed while no
        process had it armed; True when that late reminder went out."""
        self.scheduler.set_reminder(reminder)
        now = self.clock.now()
        if self._pending(reminder, now) is None:
            return False
        return await self.send_due(reminder.user_id, now)

    def _pending(self, reminder: Reminder, now: datetime) -> tuple[datetime, date] | None:
        """(the reminder's time, its local date) when a reminder is owed at
        ``now``: that time is at most ``late_post_grace`` ago and its day has
        had no reminder yet."""
        due_at = previous_occurrence(reminder.at, zone(reminder.timezone), ALL_DAYS, now)
        if due_at is None or now - due_at > self.settings.late_post_grace:
            return None
        day = local_date(due_at, reminder.timezone)
        if reminder.last_sent is not None and reminder.last_sent >= day:
            return None
        return due_at, day


def reminder_text(due: int) -> str:
    cards = "1 card is" if due == 1 else f"{due} cards are"
    return (
        f"{cards} due for review today. Run /review to go through them. "
        "(Turn this daily message off with /remind off.)"
    )
