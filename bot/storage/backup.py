"""Backups and restores of the SQLite database, safe while the bot runs.

A backup goes through SQLite's online backup API, which copies a consistent
snapshot page by page while other connections keep writing (a file copy of a
database in WAL mode can miss the pages still in the WAL, or catch a write
half-done). Every copy is opened and checked before it gets its final name.

A running bot holds a shared lock on ``<database>.lock``; a restore takes it
exclusively, so it refuses while any studybot process uses that database, and
it keeps the database it replaces next to it, so nothing is lost.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

BACKUP_PREFIX = "studybot-"
BACKUP_SUFFIX = ".sqlite3"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    schema_version: int
    size_bytes: int


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def in_use(database: Path) -> Iterator[None]:
    """Mark ``database`` as used by this process for as long as the block runs
    (a shared lock: any number of bots, never a restore)."""
    handle = _open_lock(database)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield
    finally:
        handle.close()  # closing the file releases the lock


@contextmanager
def exclusive(database: Path) -> Iterator[None]:
    handle = _open_lock(database)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a studybot process is using {database}; stop it, then restore"
            ) from None
        yield
    finally:
        handle.close()


def _open_lock(database: Path) -> IO[bytes]:
    database.parent.mkdir(parents=True, exist_ok=True)
    return open(lock_path(database), "ab")


def verify(path: Path) -> int:
    """Open ``path`` read-only, check it page by page, and return its schema
    version; :class:`BackupError` if it is not a sound studybot database."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupError(
            f"{path} failed SQLite's integrity check: {verdict[0] if verdict else '?'}"
        )
    if version < 1 or not {"rounds", "answers", "scores"} <= tables:
        raise BackupError(f"{path} is not a studybot database")
    return version


def backup(database: Path, target: Path) -> BackupInfo:
    """Copy ``database`` to ``target``: a file, or a folder (one that exists, or
    a name without a suffix) to put a dated file in."""
    if not database.is_file():
        raise BackupError(f"there is no database at {database} to back up")
    if target.is_dir() or not target.suffix:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = target / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"
    if target.resolve() == database.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            # One self-contained file: no -wal or -shm beside the copy.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    finally:
        source.close()
    try:
        version = verify(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return BackupInfo(target, version, target.stat().st_size)


def restore(copy: Path, database: Path, newest_schema: int) -> Path | None:
    """Replace ``database`` with the backup ``copy``; return where the replaced
    database was kept (None when there was none). Refuses while a bot runs."""
    version = verify(copy)
    if version > newest_schema:
        raise BackupError(
            f"{copy} has schema version {version}, newer than this studybot knows "
            f"({newest_schema}); upgrade studybot first"
        )
    with exclusive(database):
        kept = None
        if database.is_file():
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            backup(database, kept)
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            live = sqlite3.connect(database)
            try:
                source.backup(live)
            finally:
                live.close()
        finally:
            source.close()
        verify(database)
        return kept


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` dated backups in ``folder``."""
    dated = sorted(
        p
        for p in folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}")
        if p.is_file() and not p.name.endswith(".partial")
    )
    doomed = dated[: max(len(dated) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
