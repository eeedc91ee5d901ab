"""Child process for the cluster test: one of several bot processes on one
PostgreSQL database, on a clock the parent moves.

    python -m tests.faults.cluster_driver URL NAME --at ISO [--lease S] [--max-posts N]

It runs the real runtime (store, APScheduler, services, coordinator) under the
coordinator name NAME, with the clock frozen at ``--at`` and the automatic
lease renewal off: the parent says when time moves and when the lease is
renewed, so every process in the cluster sees the same instants. The platform
is fake and prints what it would have shown, so whatever the parent has read
from a process it later SIGKILLs really happened before the kill.

Commands, one a line on stdin, each answered by exactly one reply line:

    move ISO                     step the clock to ISO, firing every due job of
                                 this process at its own time, wait until its
                                 jobs are idle               -> ok
    tick                         renew the lease and reconcile
                                 -> owned SCHEDULES ROUNDS REMINDERS live=A,B late=N
    answer ROUND USER CHOICE     one answer                  -> ok (after its event line)
    burst ROUND FIRST COUNT WAVE users uFIRST.. answer concurrently, WAVE at a
                                 time, each wave also re-sending a few of the
                                 wave before with any letter -> done ROUND
    hang-posts AFTER CLAIMS      from now on, the post calls after the next
                                 AFTER never return, and the claims after the
                                 next CLAIMS never reach the database -> ok
    quit                         close the runtime (gives the lease up) -> bye

A command that fails replies ``error ...``. Event lines, printed and flushed as
they happen, interleave with the replies:

    post SPACE CHANNEL DATE ROUND         a question is on screen
    hung ROUND                            ... and its post call never returns
    stalled HUNG QUEUED UNCLAIMED         after hang-posts: every job still running
                                          is stuck for good (HUNG in a post, QUEUED
                                          claimed and waiting for a post slot the
                                          hung posts hold, UNCLAIMED in a claim)
    reveal SPACE CHANNEL DATE ROUND TOTAL a reveal is on screen
    ack ROUND USER CHOICE                 an ACCEPTED answer (durable, by contract)
    again ROUND USER CHOICE               a repeat refused; CHOICE is the one kept
    closed ROUND USER                     too late: the round was revealed
    unexpected ROUND USER OUTCOME         anything else (the parent fails on it)
    logged LEVEL LOGGER MESSAGE           an error the bot logged
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
from datetime import datetime
from typing import Any

import time_machine
from apscheduler.events import EVENT_JOB_EXECUTED

from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, GameSection, ScaleSettings, Settings
from bot.core.models import AnswerOutcome, RevealSummary, Round, UserRef
from tests.helpers import JobWatcher, RecordingPlatform, small_bank


def say(line: str) -> None:
    """One line to the parent, flushed at once: what it has read happened."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def person(index: int) -> UserRef:
    return UserRef("test", f"u{index}", f"user{index}")


class Stall:
    """The state a kill -9 mid-post should find, made exact.

    Armed by ``hang-posts``: a few more posts go out normally, then each post
    call hangs after the message is shown (the platform's reply is lost), and
    after a few more claims a claim hangs before reaching the database (the
    connection stalled). Once the hung posts hold every post slot, the jobs
    that claimed since then wait for a slot for ever. When every job still
    running is stuck in one of those three ways, ``stalled`` is printed, so the
    parent's kill lands on a known mix instead of wherever a race left it.
    """

    def __init__(self, runtime: Runtime, watcher: JobWatcher, slots: int) -> None:
        self.watcher = watcher
        self.slots = slots
        self.armed = False
        self.posts_left = 0
        self.claims_left = 0
        self.claimed = 0
        self.finished = 0
        self.hung = 0
        self.unclaimed = 0
        self.reported = False
        store = runtime.store
        claim = store.claim_round

        async def gated(*args: Any, **kw: Any) -> Round | None:
            if self.armed:
                if self.claims_left == 0:
                    self.unclaimed += 1
                    self.check()
                    await asyncio.Event().wait()
                self.claims_left -= 1
            round_ = await claim(*args, **kw)
            if self.armed and round_ is not None:
                self.claimed += 1
                self.check()
            return round_

        # The running services share this store object, so they claim through the gate.
        store.claim_round = gated  # type: ignore[method-assign]
        runtime.scheduler.add_listener(lambda _: self.check(), EVENT_JOB_EXECUTED)

    def arm(self, posts: int, claims: int) -> None:
        self.armed = True
        self.posts_left, self.claims_left = posts, claims

    async def post(self, round_: Round) -> None:
        """Called by the platform once the message is on screen."""
        if not self.armed:
            return
        if self.posts_left > 0:
            self.posts_left -= 1
            self.finished += 1
            return
        self.hung += 1
        say(f"hung {round_.id}")
        self.check()
        await asyncio.Event().wait()

    def check(self) -> None:
        if self.reported or not self.hung:
            return
        waiting = self.claimed - self.finished  # hung, or claimed and not yet posted
        slots_held = waiting == self.hung or self.hung == self.slots
        if slots_held and self.watcher.pending == waiting + self.unclaimed:
            self.reported = True
            say(f"stalled {self.hung} {waiting - self.hung} {self.unclaimed}")


class EchoPlatform(RecordingPlatform):
    """Prints every post and reveal; a :class:`Stall` may keep a post from returning."""

    def __init__(self) -> None:
        super().__init__()
        self.stall: Stall | None = None

    async def post_question(self, round_: Round) -> str | None:
        channel = round_.channel
        # Printed before any hang: the message is taken to be on screen and only
        # the platform's reply is lost, the case in which a second post would show.
        say(f"post {channel.space} {channel.channel} {round_.round_date} {round_.id}")
        if self.stall is not None:
            await self.stall.post(round_)
        return await super().post_question(round_)

    async def post_reveal(self, summary: RevealSummary) -> None:
        round_ = summary.round
        channel = round_.channel
        say(
            f"reveal {channel.space} {channel.channel} {round_.round_date} {round_.id} "
            f"{summary.total}"
        )
        await super().post_reveal(summary)


class Echo(logging.Handler):
    """Errors the bot logs (a failed job is logged, not raised) become event
    lines, so the parent can fail on them."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().replace("\n", " ")
        say(f"logged {record.levelname} {record.name} {message}")


class Driver:
    """Carries out the parent's commands on one runtime."""

    def __init__(
        self,
        name: str,
        runtime: Runtime,
        platform: EchoPlatform,
        traveller: time_machine.Traveller,
    ) -> None:
        self.name = name
        self.runtime = runtime
        self.traveller = traveller
        self.watcher = JobWatcher(runtime)
        self.stall = Stall(runtime, self.watcher, runtime.services.settings.max_concurrent_posts)
        platform.stall = self.stall

    @property
    def now(self) -> datetime:
        return self.runtime.services.clock.now()

    async def settle(self) -> None:
        await asyncio.sleep(0)  # let a wake-up submit its due jobs
        await self.watcher.idle.wait()  # the parent bounds this wait, not us
        if self.watcher.errors:
            raise self.watcher.errors[0]

    async def move(self, instant: datetime) -> str:
        """As the test harness steps time: every job fires at its own moment."""
        scheduler = self.runtime.scheduler
        while True:
            due = [
                job.next_run_time
                for job in scheduler.get_jobs()
                if job.next_run_time is not None and job.next_run_time <= instant
            ]
            step = min(due) if due else instant
            self.traveller.move_to(max(step, self.now))
            scheduler.wakeup()
            await self.settle()
            if not due:
                return "ok"

    async def tick(self) -> str:
        coordinator = self.runtime.coordinator
        assert coordinator is not None
        result = await coordinator.tick()
        await self.settle()
        owned = coordinator.jobs.owned()
        return (
            f"owned {owned.schedules} {owned.rounds} {owned.reminders} "
            f"live={','.join(result.live)} late={result.late_posts}"
        )

    async def answer(self, round_id: int, user: UserRef, letter: str) -> None:
        result = await self.runtime.services.rounds.answer(round_id, user, letter)
        if result.outcome is AnswerOutcome.ACCEPTED:
            say(f"ack {round_id} {user.external_id} {result.choice}")
        elif result.outcome is AnswerOutcome.ALREADY_ANSWERED:
            say(f"again {round_id} {user.external_id} {result.choice}")
        elif result.outcome is AnswerOutcome.CLOSED:
            say(f"closed {round_id} {user.external_id}")
        else:
            say(f"unexpected {round_id} {user.external_id} {result.outcome.value}")

    async def burst(self, round_id: int, first: int, count: int, wave: int) -> str:
        round_ = await self.runtime.store.get_round(round_id)
        if round_ is None:
            return f"error no round {round_id}"
        letters = round_.question.letters()
        rng = random.Random(f"{self.name}:{round_id}:{first}")
        for start in range(first, first + count, wave):
            end = min(start + wave, first + count)
            calls = [
                self.answer(round_id, person(i), rng.choice(letters)) for i in range(start, end)
            ]
            if start > first:  # double clicks: the wave before, again, any letter
                calls += [
                    self.answer(round_id, person(i), rng.choice(letters))
                    for i in range(start - 1, max(first, start - wave) - 1, -4)
                ]
            rng.shuffle(calls)
            await asyncio.gather(*calls)
        return f"done {round_id}"

    async def run(self, line: str) -> str:
        command, *args = line.split()
        if command == "move":
            return await self.move(datetime.fromisoformat(args[0]))
        if command == "tick":
            return await self.tick()
        if command == "answer":
            await self.answer(int(args[0]), UserRef("test", args[1], args[1]), args[2])
            return "ok"
        if command == "burst":
            round_id, first, count, wave = (int(a) for a in args)
            return await self.burst(round_id, first, count, wave)
        if command == "hang-posts":
            self.stall.arm(int(args[0]), int(args[1]))
            return "ok"
        return f"error unknown command {line!r}"


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run(args: argparse.Namespace, traveller: time_machine.Traveller) -> None:
    url, name = args.url, args.name
    settings = Settings(
        database=DatabaseSettings(url=url, pool_size=4),
        scale=ScaleSettings(lease_seconds=args.lease),
        game=GameSection(max_concurrent_posts=args.max_posts),
    )
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(name))
    platform = EchoPlatform()
    runtime.platforms["test"] = platform
    assert runtime.coordinator is not None, "the cluster driver needs a shared (PostgreSQL) store"
    runtime.coordinator.name = name
    runtime.renew = False  # the parent's `tick` renews
    driver = Driver(name, runtime, platform, traveller)
    await runtime.start()
    await driver.settle()
    say(f"ready {name}")
    commands = await stdin_reader()
    while line := (await commands.readline()).decode():
        if line.split() == ["quit"]:
            break
        try:
            reply = await driver.run(line)
        except Exception as exc:
            reply = f"error {type(exc).__name__}: {exc}".replace("\n", " ")
        say(reply)
    await runtime.close()
    say("bye")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="the PostgreSQL database every process shares")
    parser.add_argument("name", help="this process's coordinator name")
    parser.add_argument("--at", required=True, help="the frozen clock, ISO 8601 with offset")
    parser.add_argument("--lease", type=int, default=30, help="lease length in seconds")
    parser.add_argument("--max-posts", type=int, default=20, help="posts in flight at once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger().addHandler(Echo(logging.ERROR))
    start = datetime.fromisoformat(args.at)
    with time_machine.travel(start, tick=False) as traveller:
        asyncio.run(run(args, traveller))


if __name__ == "__main__":
    main()
