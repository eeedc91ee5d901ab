"""Shared pieces of the fault tests: a harness with its own database settings,
helpers to run a driver script in a child process we can kill for real, and
store-agnostic ways to read what a dead process left behind.

A test's store is a SQLite file (a ``Path``) or a PostgreSQL database (its URL,
a ``str``), as ``store_target`` in tests/conftest.py hands them out; drivers
take either on their command line.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg

from bot.config import DatabaseSettings
from bot.storage.pg.database import PgConnection, is_postgres_url
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


def on_postgres(target: Path | str) -> bool:
    """Is this test's store a PostgreSQL database (rather than a SQLite file)?"""
    return isinstance(target, str)


def store_settings(db: str, **extra: Any) -> DatabaseSettings:
    """A driver's database settings from its command-line argument: a
    ``postgresql://`` URL names a PostgreSQL database, anything else a SQLite
    file. ``extra`` (e.g. ``synchronous``) is passed on either way."""
    if is_postgres_url(db):
        return DatabaseSettings(url=db, **extra)
    return DatabaseSettings(path=Path(db), **extra)


async def peek(target: Path | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of one read from outside any bot, e.g. of what a killed process
    left before the next start recovers it: a plain sqlite3 connection on the
    file, or one plain asyncpg connection to the database (through the store's
    own placeholder translation, so the same ``?`` statement runs on both)."""
    if isinstance(target, str):
        conn = await asyncpg.connect(target)
        try:
            found = await PgConnection(conn).execute_fetchall(sql, params)
        finally:
            await conn.close()
        return [tuple(row) for row in found]
    with sqlite(target) as lite:
        return [tuple(row) for row in lite.execute(sql, params).fetchall()]


async def assert_intact(target: Path | str) -> None:
    """A killed writer must not leave a damaged file. SQLite can say so; on
    PostgreSQL the server, not the killed client, owns the pages, so there is
    nothing of ours to check."""
    if not on_postgres(target):
        assert await peek(target, "PRAGMA integrity_check") == [("ok",)]


async def outlast_the_dead(bot: Harness) -> None:
    """After a kill -9 on a shared store (PostgreSQL), the dead process's lease
    still counts as live until it runs out, and until then the channel may be
    the dead one's to post and reveal. Move the clock past that lease and renew
    now, as this process's renewal timer would a few seconds later, so it adopts
    the dead one's work. Nothing to do on SQLite, whose start-up recovers it all."""
    assert bot.runtime is not None
    coordinator = bot.runtime.coordinator
    if coordinator is None:
        return
    bot.traveller.move_to(bot.now + coordinator.lease + timedelta(seconds=1))
    await coordinator.tick()
    await bot.settle()
