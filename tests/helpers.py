"""Test doubles and a harness that runs the real bot (SQLite file, APScheduler,
services) with time under the test's control."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)

from bot.app import Runtime, build_runtime
from bot.bank import QuestionBank
from bot.config import DatabaseSettings, GameSection, Settings
from bot.core.models import ChannelRef, Recap, RevealSummary, Round, UserRef
from bot.core.ports import PostFailed
from bot.core.questions import Difficulty, Kind, Question

MONDAY_8AM = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CHANNEL = ChannelRef("test", "space-1", "chan-1")
OTHER_CHANNEL = ChannelRef("test", "space-1", "chan-2")


def user(name: str) -> UserRef:
    return UserRef("test", name.lower(), name)


def make_question(qid: str, topic: str = "evaluation", answer: str = "b", **kw: Any) -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty=kw.pop("difficulty", Difficulty.MEDIUM),
        kind=kw.pop("kind", Kind.CHOICE),
        prompt=kw.pop("prompt", f"Question {qid}?"),
        answer=answer,
        explanation=kw.pop("explanation", "Because b is right and a is a common mistake."),
        choices=kw.pop("choices", ("option one", "option two", "option three", "option four")),
        **kw,
    )


def small_bank() -> QuestionBank:
    return QuestionBank(
        [
            make_question("eval-one", "evaluation", "b", difficulty=Difficulty.EASY),
            make_question("eval-two", "evaluation", "a", difficulty=Difficulty.MEDIUM),
            make_question("eval-three", "evaluation", "c", difficulty=Difficulty.HARD),
            make_question("ens-one", "ensembles", "d", difficulty=Difficulty.EASY),
            make_question("ens-two", "ensembles", "b", difficulty=Difficulty.HARD),
            make_question(
                "ens-open",
                "ensembles",
                "A model answer of enough length.",
                kind=Kind.OPEN,
                choices=(),
            ),
        ]
    )


@dataclass
class RecordingPlatform:
    """The network edge: records what would be sent; can be told to fail."""

    posted: list[Round] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reveals: list[RevealSummary] = field(default_factory=list)
    recaps: list[Recap] = field(default_factory=list)
    private: list[tuple[UserRef, str]] = field(default_factory=list)
    fail_posts: PostFailed | None = None
    fail_private: PostFailed | None = None

    async def post_question(self, round_: Round) -> str | None:
        if self.fail_posts is not None:
            raise self.fail_posts
        self.posted.append(round_)
        return f"msg-{round_.id}"

    async def close_answering(self, round_: Round) -> None:
        self.closed.append(round_.id)

    async def post_reveal(self, summary: RevealSummary) -> None:
        self.reveals.append(summary)

    async def post_recap(self, recap: Recap) -> None:
        self.recaps.append(recap)

    async def send_private(self, user: UserRef, text: str) -> None:
        if self.fail_private is not None:
            raise self.fail_private
        self.private.append((user, text))


class JobWatcher:
    """Knows when every job APScheduler submitted has finished.

    A submitted job ends in exactly one event here: executed, failed, or missed
    (run later than its misfire grace; every job has one run time per
    submission, as post and recap jobs coalesce and the others are one-shot)."""

    def __init__(self, runtime: Runtime) -> None:
        self.pending = 0
        self.errors: list[BaseException] = []
        self.missed: list[str] = []
        self.idle = asyncio.Event()
        self.idle.set()
        runtime.scheduler.add_listener(
            self._on_event,
            EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
        )

    def _on_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self.pending += 1
            self.idle.clear()
            return
        self.pending -= 1
        if event.code == EVENT_JOB_MISSED:
            self.missed.append(event.job_id)
        if event.code == EVENT_JOB_ERROR and event.exception is not None:
            self.errors.append(event.exception)
        if self.pending == 0:
            self.idle.set()


class Harness:
    """One bot process. ``restart()`` simulates a crash and a fresh start on the
    same database file; ``advance()`` moves the clock and runs due jobs."""

    def __init__(self, db_path: Path | str, traveller: time_machine.Traveller, **game: Any) -> None:
        # A Path is a SQLite file; a str is a PostgreSQL URL.
        self.db_path = db_path
        self.traveller = traveller
        self.game = game
        self.bank = small_bank()
        self.platform = RecordingPlatform()
        self.runtime: Runtime | None = None
        self.watcher: JobWatcher | None = None
        # Run before each start, e.g. to register another platform adapter.
        self.before_start: list[Callable[[Runtime], Awaitable[None]]] = []

    def settings(self) -> Settings:
        if isinstance(self.db_path, str):
            database = DatabaseSettings(url=self.db_path)
        else:
            database = DatabaseSettings(path=self.db_path)
        return Settings(database=database, game=GameSection(**self.game))

    def environment(self) -> dict[str, str]:
        """The variables that point the command line at this harness's store."""
        if isinstance(self.db_path, str):
            return {"STUDYBOT_DATABASE_URL": self.db_path}
        return {"STUDYBOT_DB": str(self.db_path)}

    async def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read through the running store, on either database."""
        assert self.runtime is not None
        rows = await self.runtime.db.reader.execute_fetchall(sql, parameters)
        return [tuple(row) for row in rows]

    async def change(self, sql: str, parameters: tuple[Any, ...] = ()) -> None:
        """One statement in its own write transaction, for tests that tamper."""
        assert self.runtime is not None
        async with self.runtime.db.write() as conn:
            await conn.execute(sql, parameters)

    async def start(self) -> Harness:
        self.runtime = await build_runtime(self.settings(), bank=self.bank, rng=random.Random(7))
        self.runtime.platforms["test"] = self.platform
        for hook in self.before_start:
            await hook(self.runtime)
        self.watcher = JobWatcher(self.runtime)
        await self.runtime.start()
        await self.settle()
        return self

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None

    async def restart(self, *, at: datetime | None = None) -> None:
        await self.stop()
        if at is not None:
            self.traveller.move_to(at)
        await self.start()

    @property
    def services(self) -> Any:
        assert self.runtime is not None
        return self.runtime.services

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def settle(self) -> None:
        assert self.watcher is not None
        await asyncio.sleep(0)
        await asyncio.wait_for(self.watcher.idle.wait(), timeout=10)
        if self.watcher.errors:
            raise self.watcher.errors[0]

    async def advance(self, delta: timedelta) -> None:
        await self.move_to(self.now + delta)

    async def move_to(self, instant: datetime) -> None:
        """Step through time so every job fires at its own moment, in order."""
        assert self.runtime is not None
        while True:
            due = [
                job.next_run_time
                for job in self.runtime.scheduler.get_jobs()
                if job.next_run_time is not None and job.next_run_time <= instant
            ]
            step = min(due) if due else instant
            self.traveller.move_to(max(step, self.now))
            self.runtime.scheduler.wakeup()
            await self.settle()
            if not due:
                return


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
