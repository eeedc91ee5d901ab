"""Shared pieces of the fault tests: a harness that survives missed jobs, and
helpers to run a driver script in a child process we can kill for real."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)

from bot.app import Runtime, build_runtime
from tests.helpers import Harness

ROOT = Path(__file__).resolve().parents[2]
# A guard against a hung child, never a pause: every wait below ends as soon
# as the child says something.
CHILD_LIMIT_S = 60


class MissAwareWatcher:
    """Like ``tests.helpers.JobWatcher``, but a job whose run time was missed
    (past its misfire grace) also counts as finished.

    The clock-jump tests need this: after a jump, APScheduler submits the daily
    job and then reports it *missed* instead of executed. The shared watcher
    only counts executed and failed jobs, so its ``settle`` would wait forever.
    """

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
        if self.pending <= 0:
            self.pending = 0
            self.idle.set()


class FaultHarness(Harness):
    """The shared harness with :class:`MissAwareWatcher` and a few settings more."""

    def __init__(self, *args: Any, database: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.database = database or {}
        self.watcher: MissAwareWatcher | None = None  # type: ignore[assignment]

    def settings(self) -> Any:
        settings = super().settings()
        return settings.model_copy(
            update={"database": settings.database.model_copy(update=self.database)}
        )

    async def start(self) -> FaultHarness:
        self.runtime = await build_runtime(self.settings(), bank=self.bank, rng=random.Random(7))
        self.runtime.platforms["test"] = self.platform
        for hook in self.before_start:
            await hook(self.runtime)
        self.watcher = MissAwareWatcher(self.runtime)
        await self.runtime.start()
        await self.settle()
        return self

    async def jump(self, delta: Any) -> None:
        """Move the clock in one step, as a system clock change would, then let
        the scheduler see it; unlike ``advance`` it does not stop at each job."""
        self.traveller.move_to(self.now + delta)
        assert self.runtime is not None
        self.runtime.scheduler.wakeup()
        await self.settle()
        # A job run by the wake-up may have armed another job that is already due.
        self.runtime.scheduler.wakeup()
        await self.settle()


def child_env() -> dict[str, str]:
    """The parent's environment with the repository importable, so a driver
    runs as ``python -m tests.faults.<name>`` against this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn(module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def read_line(stream: IO[str]) -> str:
    """One line from a child, without blocking the event loop of the test."""
    return await asyncio.wait_for(asyncio.to_thread(stream.readline), CHILD_LIMIT_S)


@contextmanager
def sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection for checking the file from outside the bot."""
    with closing(sqlite3.connect(path)) as conn:
        yield conn
