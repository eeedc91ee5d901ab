"""Which bot process arms which timers, when several share one database.

APScheduler keeps its jobs in one process's memory, so two processes that
both armed every schedule would both post (the database claims would stop the
second post, but every process would do every lookup, and every reveal would
race). Instead each process holds a *lease*: a row in ``workers`` it renews
every few seconds. The live processes are those whose lease has not expired,
and :func:`~bot.core.sharding.owner_of` hands every channel (its schedule and
its rounds' reveals) and every user's reminder to exactly one of them. Each
process arms only what it owns; all of them agree without talking, because
they read the same live list.

When a process dies its lease runs out (``lease`` seconds at most), the next
renewal of every other process sees a shorter live list, and the new owners
adopt the orphaned work: arm the timers, post a question that fell due in the
gap (within the late-post grace), reveal a round that is overdue. While two
processes briefly both believe they own something (one has not yet noticed a
newcomer), the claims in the database still let exactly one post and one
reveal happen.

Domain code only: the store and the scheduler are ports, the loop that calls
:meth:`Coordinator.tick` lives in the composition root.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.models import ChannelRef, Round, RoundStatus, Schedule
from bot.core.ports import Clock, JobScheduler, Store
from bot.core.reminders import Reminder, ReminderService
from bot.core.rounds import RoundService
from bot.core.schedules import catch_up
from bot.core.settings import GameSettings
from bot.core.sharding import owner_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Worker:
    """One bot process as its lease row describes it."""

    name: str
    host: str
    pid: int
    platforms: frozenset[str]
    shards: str
    started_at: datetime
    seen_at: datetime
    expires_at: datetime
    schedules: int = 0
    rounds: int = 0
    reminders: int = 0

    def live(self, now: datetime) -> bool:
        return self.expires_at > now


@dataclass(frozen=True, slots=True)
class Owned:
    """How much a process owns, written into its lease row at each renewal."""

    schedules: int = 0
    rounds: int = 0
    reminders: int = 0


def channel_key(channel: ChannelRef) -> str:
    """The unit of ownership for a channel's daily post and its reveals: one
    process does both, so the reveal a post arms is always the poster's own."""
    return f"channel:{channel.platform}:{channel.space}:{channel.channel}"


def reminder_key(user_id: int) -> str:
    return f"user:{user_id}"


def owner_among(key: str, platform: str, live: dict[str, frozenset[str]]) -> str | None:
    """The owner of ``key`` among the live processes that run ``platform``:
    a process without Slack cannot post to a Slack channel. None when no live
    process runs it (then nothing can be done until one starts)."""
    able = [name for name, platforms in live.items() if platform in platforms]
    return owner_of(key, able) if able else None


def _timing(reminder: Reminder) -> tuple[object, ...]:
    # last_sent changes every day and does not move the job.
    return (reminder.enabled, reminder.at, reminder.timezone)


class OwnedJobs:
    """A :class:`JobScheduler` that arms only what this process owns.

    Services call it exactly as they call the plain scheduler; a call for
    something another process owns is dropped (that process arms it when its
    next renewal reconciles). It remembers what it armed, which is what the
    coordinator compares against the database.
    """

    def __init__(self, inner: JobScheduler, owns: Callable[[str, str], bool]) -> None:
        self.inner = inner
        self.owns = owns
        self.schedules: dict[int, Schedule] = {}
        self.rounds: set[int] = set()
        self.reminders: dict[int, tuple[object, ...]] = {}

    def set_daily(self, schedule: Schedule) -> None:
        assert schedule.id is not None
        if not self.owns(channel_key(schedule.channel), schedule.channel.platform):
            return
        self.inner.set_daily(schedule)
        self.schedules[schedule.id] = schedule

    def remove_daily(self, schedule_id: int) -> None:
        self.inner.remove_daily(schedule_id)
        self.schedules.pop(schedule_id, None)

    def retry_post(self, schedule_id: int, at: datetime) -> None:
        # Only the owner's own post job ever fails and asks for a retry.
        if schedule_id in self.schedules:
            self.inner.retry_post(schedule_id, at)

    def set_reveal(self, round_id: int, at: datetime) -> None:
        # Called with the round's id only: right after this process posted
        # (scheduled posts happen only in owned channels), when a reveal failed
        # here, or for a /daily post typed into a channel owned elsewhere. The
        # last is handed to the owner at the next reconcile; until then both
        # may hold it, and the settle-once claim reveals it once.
        self.inner.set_reveal(round_id, at)
        self.rounds.add(round_id)

    def remove_reveal(self, round_id: int) -> None:
        self.inner.remove_reveal(round_id)
        self.rounds.discard(round_id)

    def set_reminder(self, reminder: Reminder) -> None:
        if not self.owns(reminder_key(reminder.user_id), reminder.user.platform):
            return
        self.inner.set_reminder(reminder)
        if reminder.enabled:
            self.reminders[reminder.user_id] = _timing(reminder)
        else:
            self.reminders.pop(reminder.user_id, None)

    def remove_reminder(self, user_id: int) -> None:
        self.inner.remove_reminder(user_id)
        self.reminders.pop(user_id, None)

    def retry_reminder(self, user_id: int, at: datetime) -> None:
        if user_id in self.reminders:
            self.inner.retry_reminder(user_id, at)

    def owned(self) -> Owned:
        return Owned(len(self.schedules), len(self.rounds), len(self.reminders))


@dataclass
class Reconciled:
    """What one renewal changed here, for the log and the tests."""

    live: list[str]
    adopted_schedules: int = 0
    dropped_schedules: int = 0
    adopted_rounds: int = 0
    dropped_rounds: int = 0
    adopted_reminders: int = 0
    dropped_reminders: int = 0
    late_posts: int = 0
    late_reminders: int = 0

    def changed(self) -> bool:
        return any(
            (
                self.adopted_schedules,
                self.dropped_schedules,
                self.adopted_rounds,
                self.dropped_rounds,
                self.adopted_reminders,
                self.dropped_reminders,
            )
        )


@dataclass
class Coordinator:
    """Holds this process's lease and keeps its armed timers equal to what it
    owns. :meth:`tick` is called every ``lease / 3``, so a lease survives two
    missed renewals (a long pause, a slow database) before others take over."""

    name: str
    store: Store
    jobs: OwnedJobs
    rounds: RoundService
    reminders: ReminderService
    clock: Clock
    settings: GameSettings
    lease: timedelta
    host: str = ""
    pid: int = 0
    shards: str = ""
    running: Mapping[str, object] = field(default_factory=dict)
    """The chat platforms this process runs, by name (the runtime's registry,
    read at every renewal)."""
    process_alive: Callable[[int], bool] = lambda pid: True
    """Is a process id on this host running? Lets a restarted bot clear the
    lease its crashed predecessor left on the same host at once, instead of
    waiting a lease for it to expire."""
    live: dict[str, frozenset[str]] = field(default_factory=dict)
    """The live processes at the last renewal, this one included, with the
    platforms each runs."""
    expires_at: datetime | None = None
    """When this process's own lease runs out unless renewed."""

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self.running)

    def owns(self, key: str, platform: str) -> bool:
        if self.name not in self.live:
            return False  # not started, stood down or retired
        # This process's platforms as they are now: one registered after the
        # last renewal (a terminal opened later) counts at once here, and in
        # the other processes at this one's next renewal.
        if platform in self.running and platform not in self.live[self.name]:
            live = {**self.live, self.name: self.platforms}
            return owner_among(key, platform, live) == self.name
        return owner_among(key, platform, self.live) == self.name

    async def tick(self) -> Reconciled:
        """Renew the lease, then adopt and drop work to match the live list."""
        now = self.clock.now()
        reported = self.jobs.owned()
        try:
            workers = await self.store.renew_lease(
                self.worker(now), reported, keep_expired=timedelta(hours=1)
            )
        except Exception:
            if self.expires_at is not None and self.clock.now() >= self.expires_at:
                # Others have taken over by now: arming on would only race them.
                log.error("could not renew this process's lease and it expired; standing down")
                self.live = {}
                return self._stand_down()
            log.warning("could not renew this process's lease; trying again", exc_info=True)
            return Reconciled(live=sorted(self.live))
        if self.expires_at is None:  # this process's first renewal
            workers = await self._clear_predecessors(workers)
        self.expires_at = now + self.lease
        live = {w.name: w.platforms for w in workers if w.live(now)}
        live[self.name] = self.platforms  # renewed just now, whatever the clocks say
        if live.keys() != self.live.keys():
            log.info("live processes: %s", ", ".join(sorted(live)))
        self.live = live
        result = await self._reconcile(Reconciled(live=sorted(live)))
        if self.jobs.owned() != reported:
            try:
                await self.store.report_owned(self.name, self.jobs.owned())
            except Exception:  # only the status display is behind; the next renewal fixes it
                log.warning("could not update this process's owned counts", exc_info=True)
        return result

    def _stand_down(self) -> Reconciled:
        """Disarm everything without asking the database (it is not answering).
        The next renewal that works adopts this process's share again."""
        result = Reconciled(live=[])
        for schedule_id in list(self.jobs.schedules):
            self.jobs.remove_daily(schedule_id)
            result.dropped_schedules += 1
        for round_id in list(self.jobs.rounds):
            self.jobs.remove_reveal(round_id)
            result.dropped_rounds += 1
        for user_id in list(self.jobs.reminders):
            self.jobs.remove_reminder(user_id)
            result.dropped_reminders += 1
        return result

    async def _clear_predecessors(self, workers: list[Worker]) -> list[Worker]:
        """End the leases of earlier runs on this host whose process is gone
        (or whose pid is this process's own: a container restarted with pid 1).
        A crash followed by a restart then hands nothing over for a lease."""
        kept = []
        for w in workers:
            gone = w.pid == self.pid or not self.process_alive(w.pid)
            if w.name != self.name and w.host == self.host and gone:
                log.info("clearing the lease of %s, an earlier run on this host", w.name)
                await self.store.end_lease(w.name)
            else:
                kept.append(w)
        return kept

    def worker(self, now: datetime) -> Worker:
        return Worker(
            name=self.name,
            host=self.host,
            pid=self.pid,
            platforms=self.platforms,
            shards=self.shards,
            started_at=now,  # kept from the first renewal by the store
            seen_at=now,
            expires_at=now + self.lease,
        )

    async def retire(self) -> None:
        """A clean stop: give the lease up so the others take over at their
        next renewal instead of waiting for it to expire."""
        try:
            await self.store.end_lease(self.name)
        except Exception:
            log.warning("could not give up this process's lease; it will expire", exc_info=True)
        self.live = {}

    def owns_channel(self, channel: ChannelRef) -> bool:
        return self.owns(channel_key(channel), channel.platform)

    def owns_reminder(self, reminder: Reminder) -> bool:
        return self.owns(reminder_key(reminder.user_id), reminder.user.platform)

    async def _reconcile(self, result: Reconciled) -> Reconciled:
        # Overdue reveals first, so the scores are current before any late post.
        await self._rounds(result)
        await self._schedules(result)
        await self._reminders(result)
        if result.changed():
            owned = self.jobs.owned()
            log.info(
                "now owning %d schedules, %d pending reveals, %d reminders "
                "(adopted %d/%d/%d, handed over %d/%d/%d)",
                owned.schedules,
                owned.rounds,
                owned.reminders,
                result.adopted_schedules,
                result.adopted_rounds,
                result.adopted_reminders,
                result.dropped_schedules,
                result.dropped_rounds,
                result.dropped_reminders,
            )
        return result

    async def _schedules(self, result: Reconciled) -> None:
        current = {
            s.id: s for s in await self.store.list_schedules() if not s.paused and s.id is not None
        }
        for schedule_id in list(self.jobs.schedules):
            schedule = current.get(schedule_id)
            if schedule is None or not self.owns_channel(schedule.channel):
                self.jobs.remove_daily(schedule_id)
                result.dropped_schedules += 1
        for schedule_id, schedule in current.items():
            if not self.owns_channel(schedule.channel):
                continue
            known = self.jobs.schedules.get(schedule_id)
            if known == schedule:
                continue
            self.jobs.set_daily(schedule)
            if known is None:
                result.adopted_schedules += 1
            # New here, or changed by a command another process handled: a
            # post time that passed since then is caught up like after a restart.
            if await catch_up(schedule, self.store, self.rounds, self.clock, self.settings):
                result.late_posts += 1

    async def _rounds(self, result: Reconciled) -> None:
        pending = await self.store.unrevealed_rounds()
        by_id = {r.id: r for r in pending}
        self.rounds.keep_open_only(set(by_id))
        for round_id in list(self.jobs.rounds):
            round_ = by_id.get(round_id)
            if round_ is None:
                self.jobs.rounds.discard(round_id)  # revealed (here or elsewhere)
            elif not self.owns_channel(round_.channel):
                self.jobs.remove_reveal(round_id)
                result.dropped_rounds += 1
        now = self.clock.now()
        for round_ in self._adoptable(pending, now):
            await self.rounds.restore(round_)  # arms it, or reveals it if overdue
            result.adopted_rounds += 1

    def _adoptable(self, pending: Sequence[Round], now: datetime) -> list[Round]:
        chosen = []
        for round_ in pending:
            if round_.id in self.jobs.rounds or not self.owns_channel(round_.channel):
                continue
            if round_.status is RoundStatus.POSTING and now - round_.posted_at < self.lease:
                # Its poster may still be waiting on the platform; restoring it
                # now would mark it posted under that poster's feet. A poster
                # that died leaves it for longer than a lease.
                continue
            chosen.append(round_)
        return chosen

    async def _reminders(self, result: Reconciled) -> None:
        current = {r.user_id: r for r in await self.store.list_reminders()}
        for user_id in list(self.jobs.reminders):
            reminder = current.get(user_id)
            if reminder is None or not self.owns_reminder(reminder):
                self.jobs.remove_reminder(user_id)
                result.dropped_reminders += 1
        for user_id, reminder in current.items():
            if not self.owns_reminder(reminder):
                continue
            known = self.jobs.reminders.get(user_id)
            if known == _timing(reminder):
                continue
            if known is None:
                result.adopted_reminders += 1
            if await self.reminders.adopt(reminder):
                result.late_reminders += 1
