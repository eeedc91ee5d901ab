"""Shared pieces of the fault tests: a harness with its own database settings, and
helpers to run a driver script in a child process we can kill for real."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

from tests.helpers import Harness

ROOT = Path(__file__).resolve().parents[2]
# A guard against a hung child, never a pause: every wait below ends as soon
# as the child says something.
CHILD_LIMIT_S = 60


class FaultHarness(Harness):
    """The shared harness with database settings of its own and a clock jump."""

    def __init__(self, *args: Any, database: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.database = database or {}

    def settings(self) -> Any:
        settings = super().settings()
        return settings.model_copy(
            update={"database": settings.database.model_copy(update=self.database)}
        )

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
