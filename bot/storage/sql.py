"""The one surface the repository modules write SQL against, on either store.

The repository modules (schedules, rounds, scores...) are written once. They
talk to a :class:`Connection` with aiosqlite's shape: ``execute`` returns
something that is both awaitable and an ``async with`` block yielding a
:class:`Cursor`, ``?`` marks a parameter, and rows are read by position or by
column name. aiosqlite's connection is one as it is; ``bot/storage/pg``
presents an asyncpg connection the same way, and translating the placeholders
is all it does to the text. So a query is changed in one place, and the SQL in
these modules keeps to what SQLite 3.40 and PostgreSQL 15 both mean the same
way: ``ON CONFLICT`` upserts with ``excluded``, ``RETURNING`` instead of
``lastrowid``, no ``INSERT OR``, no two-argument ``MAX``.

Row locks are the one thing written into shared SQL for PostgreSQL alone,
as a comment SQLite skips: ``SELECT ... /*pg: FOR UPDATE*/``. SQLite runs one
write transaction at a time, so a row it reads in one cannot change before the
write commits; on PostgreSQL several processes write at once and the lock is
what keeps a read-then-write step whole.

What else differs between the stores lives in :class:`Database`'s two
implementations: how a write transaction begins (``BEGIN IMMEDIATE`` on the
single SQLite writer, a pooled connection on PostgreSQL), and
:meth:`Database.serialise`, which SQLite gets for free from its one writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import asyncpg

T_co = TypeVar("T_co", covariant=True)

Row = Any
"""A result row: ``sqlite3.Row`` or ``asyncpg.Record``. Both index by position
and by column name, which is all the repository modules do with one."""

INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.IntegrityError,
    asyncpg.IntegrityConstraintViolationError,
)
"""What a unique or foreign-key constraint raises on either store."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Row | None: ...

    async def fetchall(self) -> Iterable[Row]: ...

    def __aiter__(self) -> AsyncIterator[Row]: ...


class Pending(Protocol[T_co]):
    """What ``execute`` returns: await it, or use it in ``async with``."""

    def __await__(self) -> Generator[Any, None, T_co]: ...

    async def __aenter__(self) -> T_co: ...

    async def __aexit__(self, *exc: Any) -> Any: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Pending[Cursor]: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Pending[Cursor]: ...

    def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Pending[Iterable[Row]]: ...


class Database(Protocol):
    """What the repository modules need of either store's database."""

    @property
    def reader(self) -> Connection: ...

    def write(self) -> AbstractAsyncContextManager[Connection]: ...

    @property
    def where(self) -> str:
        """Where the data is, safe to log (no password)."""
        ...

    @property
    def shared(self) -> bool:
        """May other bot processes use this database at the same time?"""
        ...

    def on_rollback(self, hook: Callable[[], None]) -> None: ...

    def on_hold(self, observer: Callable[[float], None]) -> None: ...

    async def serialise(self, conn: Connection, key: int) -> None:
        """Inside a write, wait until no other transaction that serialises on
        ``key`` is between its start and its end.

        The reveal's steps change shared rows (a space's totals, their levels
        and tie blocks) in an order no index promises, so two processes
        revealing in one space at once could deadlock on PostgreSQL. There this
        takes a transaction-scoped advisory lock on the space; SQLite has one
        writer at a time already and does nothing.
        """
        ...

    async def close(self) -> None: ...


async def insert_returning_id(conn: Connection, sql: str, parameters: Iterable[Any]) -> int:
    """Run one ``INSERT`` and return the key it made.

    ``RETURNING id`` means the same on both stores, where ``lastrowid`` exists
    only on SQLite's cursor.
    """
    async with conn.execute(sql + " RETURNING id", parameters) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise RuntimeError("an INSERT ... RETURNING id returned no row")
    return int(row[0])
