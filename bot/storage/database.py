"""Connections, pragmas, migrations and the write lock.

One connection writes and one reads. SQLite allows a single writer anyway,
and funnelling writes through one connection guarded by an asyncio lock means
two coroutines can never interleave statements inside one transaction. With
WAL the reader sees the last committed state without waiting for the writer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.core.errors import StoreBusy
from bot.storage.backup import in_use
from bot.storage.sql import Connection

log = logging.getLogger(__name__)

Synchronous = Literal["NORMAL", "FULL"]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(package: str = "bot.storage") -> list[Migration]:
    """The numbered SQL files shipped in ``<package>/migrations``, in order; their
    numbers must run 1, 2, 3... with no gap (the PostgreSQL ones too)."""
    found = []
    for entry in resources.files(package).joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbers must run 1, 2, 3...; {migration.name} breaks it")
    return found


def to_db(instant: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in SQL."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Database:
    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "NORMAL",
        busy_timeout_ms: int = 5000,
        cache_mb: int = 64,
    ) -> None:
        self.path = Path(path)
        self._wal_path = Path(f"{self.path}-wal")
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms
        self.cache_mb = cache_mb
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._rollback_hooks: list[Callable[[], None]] = []
        self._hold_observers: list[Callable[[float], None]] = []
        self._presence = ExitStack()
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._commits_since_checkpoint = 0
        self.checkpoints = 0
        """Background checkpoints run so far (for tests and metrics)."""

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` after every write transaction that did not commit.

        For in-memory state that mirrors rows written inside a transaction,
        such as cached keys of rows just inserted: the hook throws it away, so
        nothing survives that the database itself forgot. Hooks run under the
        write lock, before the next transaction can begin; they must be quick
        and synchronous, and one that raises is logged, not propagated.
        """
        self._rollback_hooks.append(hook)

    def on_hold(self, observer: Callable[[float], None]) -> None:
        """Call ``observer(seconds)`` after every write transaction with how long
        it held the write lock, committed or not.

        Every other writer waits that long, so this is the figure that says
        whether one big job (a reveal) stalls everyone else's answers. Observers
        run under the lock and must be quick; one that raises is logged.
        """
        self._hold_observers.append(observer)

    async def serialise(self, conn: Connection, key: int) -> None:
        """Nothing to do: ``write()`` already admits one transaction at a time
        (PostgreSQL's store takes an advisory lock here; bot/storage/sql.py)."""

    @property
    def where(self) -> str:
        """Where the data is, for logs and ``db status``."""
        return str(self.path)

    async def open(self, *, migrate: bool = True) -> Database:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Says "in use" to `studybot db restore` until close().
        self._presence.enter_context(in_use(self.path))
        try:
            self._writer = await self._connect()
            if migrate:
                await apply_migrations(self._writer)
            # The writer never checkpoints: SQLite would do it inside whichever
            # COMMIT crossed 1,000 WAL pages, holding the write lock while it
            # copies pages into a file that grows all year. A third connection
            # does it in the background instead (see _after_commit).
            await self._writer.execute("PRAGMA wal_autocheckpoint = 0")
            await self._writer.execute(f"PRAGMA journal_size_limit = {int(WAL_RESET_BYTES)}")
            self._reader = await self._connect()
            self._checkpointer = await self._connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def _connect(self) -> aiosqlite.Connection:
        # aiosqlite fetches ``async for`` rows in chunks, one thread hop each;
        # the default of 64 made reading back a 5,000-user batch cost 80 hops.
        conn = await aiosqlite.connect(self.path, isolation_level=None, iter_chunk_size=1024)
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute(
            f"PRAGMA synchronous = {'FULL' if self.synchronous == 'FULL' else 'NORMAL'}"
        )
        await conn.execute("PRAGMA foreign_keys = ON")
        # Negative means KiB. SQLite's default of 2 MB made a reveal's cost per
        # answer double over a simulated year as the scores outgrew it.
        await conn.execute(f"PRAGMA cache_size = {int(-1024 * self.cache_mb)}")
        return conn

    async def close(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
            self._checkpoint = None
        for conn in (self._checkpointer, self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._checkpointer = self._reader = self._writer = None
        self._presence.close()

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    shared = False
    """One process owns a SQLite file (see bot/process.py), so it arms every timer."""

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; rolled back whole if anything inside fails.

        When another process keeps the write lock past the busy timeout, the
        driver's "database is locked" becomes :class:`StoreBusy`, a user error
        whose message says nothing was saved, and the transaction is rolled
        back, so a caller never sees a half-written batch.
        """
        if self._writer is None:
            raise RuntimeError("database is not open")
        conn = self._writer
        async with self._lock:
            held_since = time.perf_counter()
            try:
                try:
                    await conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    _raise_if_busy(exc)
                    raise
                try:
                    yield conn
                except BaseException as exc:
                    await self._abort(conn, exc)
                    raise
                try:
                    await conn.execute("COMMIT")
                except Exception as exc:
                    await self._abort(conn, exc)
                    raise
                await self._reset_wal_if_long(conn)
            finally:
                self._held(time.perf_counter() - held_since)
            self._after_commit()

    async def _reset_wal_if_long(self, conn: aiosqlite.Connection) -> None:
        """Under the write lock, after a commit: if the WAL has grown past
        WAL_RESET_BYTES, checkpoint the last few frames so the next write can
        start the WAL over (and ``journal_size_limit`` cuts the file back).

        Background checkpoints alone cannot restart the WAL while writes keep
        coming, since each write appends frames they have not seen, so the file
        would grow without end during a long burst. They have copied and synced
        nearly every frame already, so this one has little left to do; while
        one is still running it is left to finish and this waits for a later
        commit rather than holding the lock behind it, unless the WAL has
        reached twice the limit.
        """
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return
        if size <= WAL_RESET_BYTES:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            if size <= 2 * WAL_RESET_BYTES:
                return
            # Twice the limit: a hard cap, worth waiting for the running one.
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        try:
            await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError:
            log.warning("could not checkpoint the WAL; trying again later", exc_info=True)

    def _after_commit(self) -> None:
        """Every CHECKPOINT_EVERY commits, copy the WAL back into the database
        file on the checkpoint connection, without the write lock.

        A PASSIVE checkpoint never waits for readers or the writer: it copies
        what it can and the next one carries on, so the WAL stays small and no
        transaction ever pays for one.
        """
        self._commits_since_checkpoint += 1
        if self._commits_since_checkpoint < CHECKPOINT_EVERY or self._checkpointer is None:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._commits_since_checkpoint = 0
        self._checkpoint = asyncio.create_task(self._run_checkpoint(self._checkpointer))

    async def _run_checkpoint(self, conn: aiosqlite.Connection) -> None:
        try:
            await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except Exception:  # a missed checkpoint is retried after the next commits
            log.warning("background WAL checkpoint failed", exc_info=True)

    async def _abort(self, conn: aiosqlite.Connection, exc: BaseException) -> None:
        """Roll back, tell the rollback hooks, and turn lock contention into
        :class:`StoreBusy`; the caller re-raises anything else."""
        try:
            await _rollback(conn)
        finally:
            self._rolled_back()
        if isinstance(exc, sqlite3.OperationalError):
            _raise_if_busy(exc)

    def _held(self, seconds: float) -> None:
        for observer in self._hold_observers:
            try:
                observer(seconds)
            except Exception:
                log.exception("write-hold observer %r failed", observer)

    def _rolled_back(self) -> None:
        for hook in self._rollback_hooks:
            try:
                hook()
            except Exception:
                log.exception("rollback hook %r failed", hook)


CHECKPOINT_EVERY = 50
"""Commits between background WAL checkpoints."""
WAL_RESET_BYTES = 32 * 1024 * 1024
"""A WAL longer than this is truncated after the next commit (see _reset_wal_if_long)."""

_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def _raise_if_busy(exc: sqlite3.OperationalError) -> None:
    """Raise :class:`StoreBusy` for lock contention (SQLITE_BUSY or SQLITE_LOCKED,
    extended codes included); return for anything else, which stays a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    busy = (code is not None and (code & 0xFF) in _BUSY_CODES) or str(exc).lower().startswith(
        _BUSY_MESSAGES
    )
    if busy:
        log.warning("write refused, the database stayed locked: %s", exc)
        raise StoreBusy() from exc


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back if a transaction is still open. SQLite ends the transaction
    itself after some errors (a busy COMMIT may or may not), and a ROLLBACK
    then would raise and hide the error that matters."""
    if conn.in_transaction:
        await conn.execute("ROLLBACK")


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, *, target: int | None = None) -> list[str]:
    """Bring the schema up to ``target`` (default: newest), one transaction per file."""
    applied = []
    current = await schema_version(conn)
    for migration in migrations():
        if migration.version <= current or (target is not None and migration.version > target):
            continue
        script = f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        log.info("applied migration %s", migration.name)
        applied.append(migration.name)
    newest = migrations()[-1].version
    if current > newest:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this studybot knows "
            f"({newest}); upgrade studybot"
        )
    return applied
