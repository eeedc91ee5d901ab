"""Numbered migrations for the PostgreSQL schema, applied at start-up.

Several bot processes may start at the same moment against one database, and
each applies the migrations it ships before it serves. They must not both run
``CREATE TABLE`` for the same file: one would fail halfway. So every step takes
a transaction-scoped advisory lock first, and reads the version only after it
holds the lock. The second process then waits for the first to commit, sees the
new version and skips the file. The lock ends with each transaction, so a
process that dies mid-migration leaves neither a held lock nor a half-applied
file behind: PostgreSQL's DDL is transactional.

Files are named like the SQLite ones (``NNNN_name.sql``) and numbered one to
one with them, so each can be read beside its SQLite original.
"""

from __future__ import annotations

import logging

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.database import Migration, migrations

log = logging.getLogger(__name__)

PgConn = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own or one borrowed from a pool."""

MIGRATION_LOCK = 0x5354_5544_5942_4F54
"""The advisory-lock key every studybot process uses while migrating ("STUDYBOT"
in ASCII); any fixed 64-bit number works, as long as all processes agree."""

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def pg_migrations() -> list[Migration]:
    """The SQL files shipped in ``bot/storage/pg/migrations``, in order."""
    return migrations("bot.storage.pg")


async def pg_schema_version(conn: PgConn) -> int:
    """The newest migration applied, 0 for a database studybot never touched."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    return int(version)


async def apply_pg_migrations(conn: PgConn, *, target: int | None = None) -> list[str]:
    """Bring the schema up to ``target`` (default: newest), one transaction per
    file; returns the names of the files this call applied.

    Refuses, before changing anything, a database whose version is newer than
    the newest file shipped: this studybot does not know that schema, and
    running on it could corrupt what a newer one wrote.
    """
    known = pg_migrations()
    newest = known[-1].version
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(_VERSION_TABLE)
        current = await pg_schema_version(conn)
    if current > newest:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this studybot knows "
            f"({newest}); upgrade studybot"
        )
    applied = []
    for migration in known:
        if migration.version <= current or (target is not None and migration.version > target):
            continue
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            # Another process may have applied it while this one waited.
            current = await pg_schema_version(conn)
            if migration.version <= current:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
        log.info("applied PostgreSQL migration %s", migration.name)
        applied.append(migration.name)
    return applied
