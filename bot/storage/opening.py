"""Opens the database the settings name: PostgreSQL when a URL is set, else
the SQLite file. The one place that chooses, so every command agrees."""

from __future__ import annotations

from bot.config import Settings
from bot.storage.database import Database
from bot.storage.pg.database import PgDatabase


def database_for(settings: Settings) -> Database | PgDatabase:
    """The (unopened) database of ``settings``."""
    url = settings.postgres_url
    if url is not None:
        return PgDatabase(
            url,
            busy_timeout_ms=settings.database.busy_timeout_ms,
            pool_size=settings.database.pool_size,
        )
    return Database(
        settings.database_path,
        synchronous=settings.database.synchronous,
        busy_timeout_ms=settings.database.busy_timeout_ms,
        cache_mb=settings.database.cache_mb,
    )


async def open_database(settings: Settings, *, migrate: bool = True) -> Database | PgDatabase:
    db = database_for(settings)
    await db.open(migrate=migrate)
    return db
