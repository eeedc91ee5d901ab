"""The PostgreSQL database: an asyncpg pool presented as the SQLite one is.

The repository modules are shared with SQLite (``bot/storage/sql.py``), so
this module is where the dialects meet: it turns ``?`` into ``$1, $2...``,
hands back rows that index like SQLite's, counts changed rows from the
command tag, and maps the server's lock and connection failures onto the
errors the domain already handles.

Writes in one process still go one at a time, as on SQLite: every invariant
the repository modules rely on inside a process (an identity cache that is
only ever ahead of the database by the current transaction, a reveal step's
read-then-write) holds unchanged. Across processes, the constraints decide:
the unique indexes make the first claim, the first answer and the first
settle final, and :meth:`PgDatabase.serialise` orders the reveal steps of
one space.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.core.errors import StoreBusy
from bot.storage.pg.migrate import PgConn, apply_pg_migrations
from bot.storage.sql import Connection, Row

log = logging.getLogger(__name__)
T = TypeVar("T")

_SERIALISE_NAMESPACE = 0x5354
"""First key of every advisory lock :meth:`PgDatabase.serialise` takes, so
they cannot collide with another application's on a shared server."""

_TRANSIENT: tuple[type[BaseException], ...] = (
    asyncpg.LockNotAvailableError,  # lock_timeout passed
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.QueryCanceledError,  # statement_timeout, or an administrator's cancel
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # the server is starting or shutting down
    asyncpg.InterfaceError,  # the connection was lost mid-transaction
    ConnectionError,
    OSError,
)
"""Failures that say "not now" rather than "this is wrong": the write is
refused whole as :class:`StoreBusy`, which callers already retry or report."""


def redact(url: str) -> str:
    """``url`` with any password replaced, for logs and ``db status``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1, $2...``.

    Question marks inside quoted strings, quoted identifiers and ``--``
    comments are left alone; a ``/*pg: ...*/`` comment becomes its text. The statements are our own literals, so there are few of them
    and each is translated once.
    """
    out: list[str] = []
    count = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            end = n - 1 if end == -1 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("/*pg:", i):
            # PostgreSQL-only text, a comment to SQLite: the row locks SQLite's
            # single writer makes unnecessary (bot/storage/sql.py).
            end = sql.find("*/", i)
            end = n if end == -1 else end
            out.append(" " + sql[i + 5 : end].strip() + " ")
            i = end + 2
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n - 1 if end == -1 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip()[:6].upper()
    return head in ("SELECT", "WITH") or head.startswith("VALUES") or "RETURNING" in sql.upper()


def _count(status: str) -> int:
    """Rows touched, from a command tag such as ``INSERT 0 3`` or ``UPDATE 2``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """The rows of one statement, already fetched, read like an aiosqlite cursor."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Row]:
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def __aiter__(self) -> AsyncIterator[Row]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Row]:
        while self._next < len(self._rows):
            self._next += 1
            yield self._rows[self._next - 1]


class _Pending(Generic[T]):
    """Awaitable, or usable in ``async with``, like aiosqlite's results."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, T]:
        return self._run().__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> T:
        result: T = await self._run()
        return result

    async def __aexit__(self, *exc: Any) -> None:
        return None


def storable(parameters: Iterable[Any]) -> tuple[Any, ...]:
    """The parameters with NUL characters in text replaced by U+FFFD.

    PostgreSQL's text cannot hold NUL, where SQLite's can, so a name or a
    reason typed with one (a paste, a fuzzer) would fail the whole statement;
    the replacement character keeps the rest of the text and says something
    was there."""
    return tuple(
        value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value
        for value in parameters
    )


class PgConnection:
    """One asyncpg connection (or, for the reader, the pool) with aiosqlite's
    ``execute`` / ``executemany`` / ``execute_fetchall``."""

    def __init__(self, target: PgConn | asyncpg.Pool) -> None:
        self._target = target

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Pending[PgCursor]:
        return _Pending(lambda: self._execute(sql, storable(parameters or ())))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Pending[PgCursor]:
        return _Pending(lambda: self._executemany(sql, [storable(p) for p in parameters]))

    def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> _Pending[list[Row]]:
        return _Pending(lambda: self._fetchall(sql, storable(parameters or ())))

    async def _execute(self, sql: str, args: tuple[Any, ...]) -> PgCursor:
        text = numbered(sql)
        if _returns_rows(sql):
            rows = await self._target.fetch(text, *args)
            return PgCursor(rows, len(rows))
        status = await self._target.execute(text, *args)
        return PgCursor([], _count(status))

    async def _executemany(self, sql: str, args: list[tuple[Any, ...]]) -> PgCursor:
        if args:
            await self._target.executemany(numbered(sql), args)
        return PgCursor([], -1)

    async def _fetchall(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        rows: list[Row] = await self._target.fetch(numbered(sql), *args)
        return rows


class PgDatabase:
    """A pool of connections to one PostgreSQL database, migrated on open."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
    ) -> None:
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._reader: PgConnection | None = None
        self._lock = asyncio.Lock()
        self._rollback_hooks: list[Callable[[], None]] = []
        self._hold_observers: list[Callable[[float], None]] = []

    def __repr__(self) -> str:
        return f"PgDatabase({redact(self.url)!r})"

    @property
    def where(self) -> str:
        """Where the data is, safe to log: the URL without its password."""
        return redact(self.url)

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """As ``Database.on_rollback``: run after every write that did not commit."""
        self._rollback_hooks.append(hook)

    def on_hold(self, observer: Callable[[float], None]) -> None:
        """As ``Database.on_hold``: told how long each write held this process's lock."""
        self._hold_observers.append(observer)

    async def open(self, *, migrate: bool = True) -> PgDatabase:
        settings = {
            # A write that waits this long for a row another process holds is
            # refused as StoreBusy, like SQLite's busy timeout.
            "lock_timeout": f"{int(self.busy_timeout_ms)}ms",
            "application_name": "studybot",
        }
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                server_settings=settings,
            )
        except Exception as exc:
            # asyncpg's message can quote the DSN; say where without the password.
            raise RuntimeError(
                f"could not connect to PostgreSQL at {redact(self.url)}: "
                f"{type(exc).__name__}: {_without_url(str(exc), self.url)}"
            ) from None
        try:
            if migrate:
                async with self._pool.acquire() as conn:
                    await apply_pg_migrations(conn)
        except BaseException:
            await self.close()
            raise
        self._reader = PgConnection(self._pool)
        return self

    async def close(self) -> None:
        pool, self._pool, self._reader = self._pool, None, None
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> PgDatabase:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    shared = True
    """Several bot processes may use this database at once: each arms only the
    timers it owns (bot/core/ownership.py)."""

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    @property
    def reader(self) -> PgConnection:
        """Reads outside any write; each statement takes a pooled connection."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PgConnection]:
        """One write transaction, rolled back whole if anything inside fails;
        lock waits, deadlocks and a lost connection become :class:`StoreBusy`."""
        pool = self.pool
        async with self._lock:
            held_since = time.perf_counter()
            try:
                with _busy_on_transient():
                    conn = await pool.acquire()
                try:
                    transaction = conn.transaction()
                    with _busy_on_transient():
                        await transaction.start()
                    try:
                        yield PgConnection(conn)
                        await transaction.commit()
                    except BaseException as exc:  # in the block or in the commit
                        await self._abort(transaction)
                        if isinstance(exc, _TRANSIENT):
                            _log_busy(exc)
                            raise StoreBusy() from exc
                        raise
                finally:
                    await pool.release(conn)
            finally:
                self._held(time.perf_counter() - held_since)

    async def serialise(self, conn: Connection, key: int) -> None:
        await conn.execute(
            "SELECT pg_advisory_xact_lock(?, ?)", (_SERIALISE_NAMESPACE, key % 2_147_483_647)
        )

    async def _abort(self, transaction: Any) -> None:
        try:
            await transaction.rollback()
        except Exception:  # the connection may be gone; the server rolls back then
            log.debug("rollback failed", exc_info=True)
        finally:
            for hook in self._rollback_hooks:
                try:
                    hook()
                except Exception:
                    log.exception("rollback hook %r failed", hook)

    def _held(self, seconds: float) -> None:
        for observer in self._hold_observers:
            try:
                observer(seconds)
            except Exception:
                log.exception("write-hold observer %r failed", observer)


class _busy_on_transient:
    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if exc is not None and isinstance(exc, _TRANSIENT):
            _log_busy(exc)
            raise StoreBusy() from exc


def _log_busy(exc: BaseException) -> None:
    log.warning("write refused, PostgreSQL could not take it now: %s", type(exc).__name__)


def _without_url(message: str, url: str) -> str:
    return message.replace(url, redact(url))
