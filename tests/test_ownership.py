"""Several bot processes on one PostgreSQL store: who arms what, and takeover.

Each :class:`Harness` here is one process (its own runtime, scheduler and
platform recorder) on one shared database and one controlled clock. A process
is killed by dropping it without giving up its lease, exactly what kill -9
leaves behind; the survivors' renewals must then adopt its work, and the
database claims must keep every post and reveal single.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from bot.app import Runtime
from bot.core.models import ChannelRef, Round, RoundStatus, Schedule
from bot.core.ownership import (
    Coordinator,
    Owned,
    OwnedJobs,
    Worker,
    channel_key,
    owner_among,
    reminder_key,
)
from bot.core.reminders import Reminder
from tests.helpers import MONDAY_8AM, Harness, RecordingPlatform, user

LEASE = timedelta(seconds=30)
SCHEDULES = 30


# ---- pure parts ----------------------------------------------------------


def test_only_a_process_running_the_platform_can_own_its_channels() -> None:
    live = {"a": frozenset({"discord"}), "b": frozenset({"slack"}), "c": frozenset({"discord"})}
    keys = [f"channel:discord:g{i}:c{i}" for i in range(200)]
    owners = Counter(owner_among(key, "discord", live) for key in keys)
    assert set(owners) == {"a", "c"} and min(owners.values()) > 60
    assert {owner_among(f"channel:slack:t:{i}", "slack", live) for i in range(50)} == {"b"}
    assert owner_among("channel:terminal:x:y", "terminal", live) is None


class Calls:
    """A JobScheduler that records what reached it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args[0]))


def _schedule(schedule_id: int, channel: str) -> Schedule:
    from datetime import time

    return Schedule(
        channel=ChannelRef("test", "s", channel),
        post_time=time(9),
        timezone="UTC",
        weekdays=frozenset(range(7)),
        reveal_after=timedelta(hours=1),
        id=schedule_id,
    )


def test_owned_jobs_arm_only_what_this_process_owns() -> None:
    inner = Calls()
    mine = _schedule(1, "mine")
    theirs = _schedule(2, "theirs")
    jobs = OwnedJobs(inner, lambda key, platform: key == channel_key(mine.channel))  # type: ignore[arg-type]
    jobs.set_daily(mine)
    jobs.set_daily(theirs)
    jobs.retry_post(2, MONDAY_8AM)  # never armed here: no retry either
    jobs.retry_post(1, MONDAY_8AM)
    assert inner.calls == [("set_daily", mine), ("retry_post", 1)]
    assert jobs.owned() == Owned(schedules=1)
    jobs.remove_daily(1)
    assert jobs.owned() == Owned()

    reminder = Reminder(7, user("ann"), mine.post_time, "UTC", True, None)
    jobs.owns = lambda key, platform: key == reminder_key(7)
    jobs.set_reminder(reminder)
    jobs.retry_reminder(8, MONDAY_8AM)
    assert inner.calls[-1] == ("set_reminder", reminder)
    assert jobs.owned() == Owned(reminders=1)


# ---- the lease rows, on both stores -------------------------------------


def _worker(name: str, now: datetime, platforms: str = "test") -> Worker:
    return Worker(
        name=name,
        host="h",
        pid=1,
        platforms=frozenset(platforms.split(",")),
        shards="0-1 of 4",
        started_at=now,
        seen_at=now,
        expires_at=now + LEASE,
    )


async def test_leases_are_written_renewed_pruned_and_given_up(bot: Harness) -> None:
    assert bot.runtime is not None
    store = bot.runtime.store
    start = bot.now
    await store.renew_lease(_worker("x", start), Owned(3, 2, 1), keep_expired=timedelta(hours=1))
    later = start + timedelta(seconds=10)
    rows = await store.renew_lease(
        _worker("x", later, "test,slack"), Owned(4, 0, 0), keep_expired=timedelta(hours=1)
    )
    x = next(w for w in rows if w.name == "x")
    assert x.started_at == start and x.seen_at == later  # the first renewal's start is kept
    assert (x.schedules, x.rounds, x.reminders) == (4, 0, 0)
    assert x.platforms == {"test", "slack"} and x.shards == "0-1 of 4"
    assert x.live(later + LEASE - timedelta(seconds=1)) and not x.live(later + LEASE)

    # Another process renewing two hours on prunes the long-dead row.
    rows = await store.renew_lease(
        _worker("y", later + timedelta(hours=2)), Owned(), keep_expired=timedelta(hours=1)
    )
    assert "x" not in {w.name for w in rows} and "y" in {w.name for w in rows}
    await store.end_lease("y")
    assert "y" not in {w.name for w in await store.list_workers()}


# ---- several processes on PostgreSQL ------------------------------------


class HangingPlatform(RecordingPlatform):
    """A platform whose next post never returns: the process dies mid-post."""

    def __init__(self) -> None:
        super().__init__()
        self.hang = False
        self.entered = asyncio.Event()

    async def post_question(self, round_: Round) -> str | None:
        if self.hang:
            self.entered.set()
            await asyncio.Event().wait()
        return await super().post_question(round_)


class Cluster:
    """Processes on one database and one clock; every step wakes them all."""

    def __init__(self, url: str, traveller: time_machine.Traveller) -> None:
        self.url = url
        self.traveller = traveller
        self.members: dict[str, Harness] = {}
        self.dead: dict[str, Harness] = {}
        self.started = 0

    def running_pids(self) -> set[int]:
        return {
            m.runtime.coordinator.pid
            for m in self.members.values()
            if m.runtime is not None and m.runtime.coordinator is not None
        }

    async def add(self, name: str, *, pid: int | None = None) -> Harness:
        """Start a process; each gets a pid of its own unless ``pid`` says
        which (a restart of a crashed one on the same host)."""
        member = Harness(self.url, self.traveller)
        member.platform = HangingPlatform()
        self.started += 1
        fake_pid = pid if pid is not None else 10_000 + self.started

        async def named(runtime: Runtime) -> None:
            assert runtime.coordinator is not None
            runtime.coordinator.name = name
            runtime.coordinator.lease = LEASE
            runtime.coordinator.pid = fake_pid
            # All of them are this test's one real process: only the pids tell apart.
            runtime.coordinator.process_alive = lambda pid: pid in self.running_pids()
            runtime.renew = False  # ticks are driven by the test

        member.before_start.append(named)
        await member.start()
        self.members[name] = member
        return member

    def coordinator(self, name: str) -> Coordinator:
        runtime = self.members[name].runtime
        assert runtime is not None and runtime.coordinator is not None
        return runtime.coordinator

    async def tick(self) -> None:
        for name in self.members:
            await self.coordinator(name).tick()
        for member in self.members.values():
            await member.settle()

    async def kill(self, name: str) -> None:
        """Gone without a word: the lease stays in the table until it expires."""
        member = self.members.pop(name)
        runtime = member.runtime
        assert runtime is not None and runtime.coordinator is not None
        runtime.coordinator.live = {}  # so closing does not give the lease up
        runtime.scheduler.shutdown(wait=False)
        runtime.started = False
        await runtime.db.close()
        member.runtime = None
        self.dead[name] = member

    @property
    def now(self) -> datetime:
        return next(iter(self.members.values())).now

    async def move_to(self, instant: datetime) -> None:
        while True:
            due = [
                job.next_run_time
                for member in self.members.values()
                for job in member.runtime.scheduler.get_jobs()  # type: ignore[union-attr]
                if job.next_run_time is not None and job.next_run_time <= instant
            ]
            step = min(due) if due else instant
            self.traveller.move_to(max(step, self.now))
            for member in self.members.values():
                member.runtime.scheduler.wakeup()  # type: ignore[union-attr]
            for member in self.members.values():
                await member.settle()
            if not due:
                return

    def armed(self, prefix: str) -> Counter[str]:
        """How many processes hold each job whose id starts with ``prefix``."""
        return Counter(
            job.id
            for member in self.members.values()
            for job in member.runtime.scheduler.get_jobs()  # type: ignore[union-attr]
            if job.id.startswith(prefix)
        )

    def platforms(self) -> list[RecordingPlatform]:
        return [m.platform for m in (*self.members.values(), *self.dead.values())]

    async def close(self) -> None:
        for member in self.members.values():
            await member.stop()


@pytest.fixture
async def cluster(pg_store_url: str, traveller: time_machine.Traveller) -> AsyncIterator[Cluster]:
    group = Cluster(pg_store_url, traveller)
    yield group
    await group.close()


async def _schedules(member: Harness, count: int, at: str = "08:30") -> list[ChannelRef]:
    channels = [ChannelRef("test", f"space-{i % 7}", f"chan-{i}") for i in range(count)]
    for channel in channels:
        await member.services.schedules.setup(channel, at=at, reveal_after="10m")
    return channels


async def _rounds(member: Harness) -> list[tuple[str, str, str, int]]:
    rows = await member.query(
        "SELECT c.external_id, r.round_date, r.status, COUNT(*) OVER "
        "(PARTITION BY r.channel_id, r.round_date) FROM rounds r "
        "JOIN channels c ON c.id = r.channel_id ORDER BY 1, 2"
    )
    return [(str(a), str(b), str(c), int(d)) for a, b, c, d in rows]


async def test_every_schedule_is_armed_by_exactly_one_process(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    await _schedules(first, SCHEDULES)
    await cluster.add("w1")
    await cluster.add("w2")
    await cluster.tick()
    await cluster.tick()  # the first member drops what w1 and w2 took

    armed = cluster.armed("post:")
    assert len(armed) == SCHEDULES and set(armed.values()) == {1}
    owned = [cluster.coordinator(n).jobs.owned().schedules for n in ("w0", "w1", "w2")]
    assert sum(owned) == SCHEDULES and min(owned) > 0
    workers = await first.runtime.store.list_workers()  # type: ignore[union-attr]
    assert [(w.name, w.schedules) for w in workers] == list(
        zip(("w0", "w1", "w2"), owned, strict=True)
    )


async def test_a_dead_process_work_is_taken_over_and_done_once(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    channels = await _schedules(first, SCHEDULES)
    for name in ("w1", "w2"):
        await cluster.add(name)
    await cluster.tick()
    await cluster.tick()
    victims = cluster.coordinator("w1").jobs.owned().schedules
    assert victims > 0

    await cluster.kill("w1")
    await cluster.move_to(cluster.now + LEASE - timedelta(seconds=1))
    await cluster.tick()
    assert len(cluster.armed("post:")) == SCHEDULES - victims  # its lease still holds
    await cluster.move_to(cluster.now + timedelta(seconds=1))
    await cluster.tick()
    armed = cluster.armed("post:")
    assert len(armed) == SCHEDULES and set(armed.values()) == {1}

    await cluster.move_to(MONDAY_8AM.replace(hour=8, minute=45))
    posted = Counter(r.channel for p in cluster.platforms() for r in p.posted)
    revealed = Counter(s.round.channel for p in cluster.platforms() for s in p.reveals)
    assert posted == Counter(channels) and revealed == Counter(channels)
    rounds = await _rounds(first)
    assert len(rounds) == SCHEDULES
    assert {(status, count) for _, _, status, count in rounds} == {("revealed", 1)}


async def test_a_process_killed_mid_post_is_neither_repeated_nor_left_unrevealed(
    cluster: Cluster,
) -> None:
    first = await cluster.add("w0")
    second = await cluster.add("w1")
    await _schedules(first, 12)
    await cluster.tick()
    await cluster.tick()
    theirs = cluster.coordinator("w1").jobs.owned().schedules
    assert isinstance(second.platform, HangingPlatform)
    second.platform.hang = True
    # Both post at 08:30; w1's first post never returns, and it dies there.
    cluster.traveller.move_to(MONDAY_8AM.replace(hour=8, minute=30))
    for member in cluster.members.values():
        member.runtime.scheduler.wakeup()  # type: ignore[union-attr]
    await asyncio.wait_for(second.platform.entered.wait(), timeout=10)
    await first.settle()
    await cluster.kill("w1")
    assert first.runtime is not None
    pending = await first.runtime.store.unrevealed_rounds()
    stuck = {r.channel for r in pending if r.status is RoundStatus.POSTING}
    assert len(stuck) == theirs > 0  # every post w1 had begun

    # The survivor adopts the schedules after the lease, and the stuck round
    # once it is older than a lease: revealed, never posted a second time.
    await cluster.move_to(cluster.now + LEASE + timedelta(seconds=1))
    await cluster.tick()
    await cluster.move_to(cluster.now + timedelta(minutes=15))
    rounds = await _rounds(first)
    assert len(rounds) == 12
    assert {(status, count) for _, _, status, count in rounds} == {("revealed", 1)}
    assert not stuck & {r.channel for r in first.platform.posted}
    revealed = Counter(s.round.channel for s in first.platform.reveals)
    assert all(revealed[channel] == 1 for channel in stuck)


async def test_days_of_joins_and_deaths_post_and_reveal_each_day_once(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    channels = await _schedules(first, SCHEDULES)
    await cluster.add("w1")
    await cluster.tick()
    day = MONDAY_8AM
    for index, change in enumerate(("w2 joins", "w0 dies", "w3 joins")):
        if change.endswith("joins"):
            await cluster.add(change.split()[0])
        else:
            await cluster.kill(change.split()[0])
            await cluster.move_to(cluster.now + LEASE + timedelta(seconds=1))
        await cluster.tick()
        await cluster.tick()
        armed = cluster.armed("post:")
        assert len(armed) == SCHEDULES and set(armed.values()) == {1}, change
        await cluster.move_to(day.replace(hour=9) + timedelta(days=index))
        day_after = day + timedelta(days=index + 1)
        await cluster.move_to(day_after.replace(hour=8))
    survivor = next(iter(cluster.members.values()))
    rounds = await _rounds(survivor)
    assert len(rounds) == 3 * SCHEDULES
    assert {(status, count) for _, _, status, count in rounds} == {("revealed", 1)}
    posted = Counter(r.channel for p in cluster.platforms() for r in p.posted)
    assert posted == Counter({channel: 3 for channel in channels})


async def test_a_clean_stop_hands_work_over_without_waiting_for_the_lease(
    cluster: Cluster,
) -> None:
    first = await cluster.add("w0")
    await _schedules(first, SCHEDULES)
    await cluster.add("w1")
    await cluster.tick()
    await cluster.tick()
    leaving = cluster.members.pop("w1")
    await leaving.stop()  # gives its lease up
    await cluster.tick()  # no clock movement at all
    armed = cluster.armed("post:")
    assert len(armed) == SCHEDULES and set(armed.values()) == {1}
    assert [w.name for w in await first.runtime.store.list_workers()] == ["w0"]  # type: ignore[union-attr]


async def test_db_status_lists_the_live_processes_and_their_leases(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    first = await cluster.add("w0")
    await _schedules(first, 5)
    await cluster.add("w1")
    await cluster.tick()
    await cluster.kill("w1")
    await cluster.move_to(cluster.now + LEASE + timedelta(seconds=5))
    await cluster.tick()
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", cluster.url)
    assert await asyncio.to_thread(main, ["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "schema version 7 (newest 7)" in out and "1 live process(es):" in out
    lines = out.splitlines()
    w0 = next(line for line in lines if line.strip().startswith("w0 "))
    w1 = next(line for line in lines if line.strip().startswith("w1 "))
    assert "test; lease" in w0 and "owns 5 schedules" in w0
    assert "EXPIRED" in w1


async def test_a_change_made_through_another_process_reaches_the_owner(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    channels = await _schedules(first, 12)
    await cluster.add("w1")
    await cluster.tick()
    await cluster.tick()
    owner = cluster.coordinator("w1")
    moved = next(c for c in channels if owner.owns_channel(c))
    # An admin's command reaches w0 (its shard), which does not own the channel.
    await first.services.schedules.setup(moved, at="08:40")
    assert cluster.armed("post:") == Counter({k: 1 for k in cluster.armed("post:")})
    await cluster.tick()
    job = next(
        job
        for job in cluster.members["w1"].runtime.scheduler.get_jobs()  # type: ignore[union-attr]
        if job.id.startswith("post:")
        and job.args[0] in owner.jobs.schedules
        and owner.jobs.schedules[job.args[0]].channel == moved
    )
    assert job.next_run_time.strftime("%H:%M") == "08:40"
    await cluster.move_to(MONDAY_8AM.replace(hour=8, minute=35))
    posted = Counter(r.channel for p in cluster.platforms() for r in p.posted)
    assert posted[moved] == 0 and len(posted) == 11
    await cluster.move_to(MONDAY_8AM.replace(hour=8, minute=45))
    posted = Counter(r.channel for p in cluster.platforms() for r in p.posted)
    assert posted == Counter(channels)


async def test_two_processes_pressing_daily_now_together_open_one_round(
    cluster: Cluster,
) -> None:
    from bot.core.errors import UserError

    first = await cluster.add("w0")
    second = await cluster.add("w1")
    here = ChannelRef("test", "space-x", "chan-x")
    for _ in range(5):
        results = await asyncio.gather(
            first.services.rounds.post_now(here),
            second.services.rounds.post_now(here),
            return_exceptions=True,
        )
        opened = [r for r in results if isinstance(r, Round)]
        refused = [r for r in results if isinstance(r, UserError)]
        assert len(opened) == 1 and len(refused) == 1, results
        assert "already open" in str(refused[0])
        await first.services.rounds.reveal(opened[0].id)


async def test_a_round_revealed_elsewhere_is_forgotten_here(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    second = await cluster.add("w1")
    await cluster.tick()
    here = ChannelRef("test", "space-y", "chan-y")
    round_ = await first.services.rounds.post_now(here)
    await second.services.rounds.answer(round_.id, user("ann"), round_.question.answer)
    assert second.services.rounds.open_count() == 1
    await first.services.rounds.reveal(round_.id)
    await cluster.tick()
    assert second.services.rounds.open_count() == 0


async def test_a_restart_after_a_crash_does_not_wait_for_its_old_lease(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    await _schedules(first, SCHEDULES)
    await cluster.add("w1")
    await cluster.tick()
    await cluster.tick()
    old_pid = cluster.coordinator("w1").pid
    await cluster.kill("w1")
    # Restarted at once on the same host, reusing the pid (a container's pid 1).
    await cluster.add("w1-again", pid=old_pid)
    await cluster.tick()
    await cluster.tick()
    armed = cluster.armed("post:")
    assert len(armed) == SCHEDULES and set(armed.values()) == {1}
    names = [w.name for w in await first.runtime.store.list_workers()]  # type: ignore[union-attr]
    assert names == ["w0", "w1-again"]


async def test_a_process_cut_off_from_the_database_stands_down(cluster: Cluster) -> None:
    first = await cluster.add("w0")
    await _schedules(first, SCHEDULES)
    await cluster.add("w1")
    await cluster.tick()
    await cluster.tick()
    cut_off = cluster.coordinator("w1")
    assert cut_off.jobs.owned().schedules > 0

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the database is gone")

    cut_off.store.renew_lease = unreachable  # type: ignore[method-assign]
    await cut_off.tick()  # one missed renewal: it keeps its work
    assert cut_off.jobs.owned().schedules > 0
    await cluster.move_to(cluster.now + LEASE)
    result = await cut_off.tick()
    assert cut_off.jobs.owned() == Owned() and result.dropped_schedules > 0
    assert cluster.armed("post:") == Counter(
        {f"post:{i}": 1 for i in cluster.coordinator("w0").jobs.schedules}
    )
    await cluster.coordinator("w0").tick()  # the survivor now holds it all
    armed = cluster.armed("post:")
    assert len(armed) == SCHEDULES and set(armed.values()) == {1}
