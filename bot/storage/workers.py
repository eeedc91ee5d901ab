"""Lease rows of the bot processes sharing this database (see core/ownership)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.ownership import Owned, Worker
from bot.storage.database import from_db, to_db
from bot.storage.sql import Database, Row

_SELECT = (
    "SELECT name, host, pid, platforms, shards, started_at, seen_at, expires_at, "
    "schedules, rounds, reminders FROM workers "
)


def _row_to_worker(row: Row) -> Worker:
    return Worker(
        name=row["name"],
        host=row["host"],
        pid=int(row["pid"]),
        platforms=frozenset(p for p in row["platforms"].split(",") if p),
        shards=row["shards"],
        started_at=from_db(row["started_at"]),
        seen_at=from_db(row["seen_at"]),
        expires_at=from_db(row["expires_at"]),
        schedules=int(row["schedules"]),
        rounds=int(row["rounds"]),
        reminders=int(row["reminders"]),
    )


class WorkerRecords:
    db: Database

    async def renew_lease(
        self, worker: Worker, owned: Owned, *, keep_expired: timedelta
    ) -> list[Worker]:
        """Write ``worker``'s lease (its first renewal sets ``started_at``)
        and return every row, live or recently expired, in name order. Rows
        expired longer than ``keep_expired`` ago are deleted on the way."""
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO workers (name, host, pid, platforms, shards, started_at, seen_at, "
                "expires_at, schedules, rounds, reminders) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "platforms = excluded.platforms, shards = excluded.shards, "
                "seen_at = excluded.seen_at, expires_at = excluded.expires_at, "
                "schedules = excluded.schedules, rounds = excluded.rounds, "
                "reminders = excluded.reminders",
                (
                    worker.name,
                    worker.host,
                    worker.pid,
                    ",".join(sorted(worker.platforms)),
                    worker.shards,
                    to_db(worker.started_at),
                    to_db(worker.seen_at),
                    to_db(worker.expires_at),
                    owned.schedules,
                    owned.rounds,
                    owned.reminders,
                ),
            )
            await conn.execute(
                "DELETE FROM workers WHERE expires_at < ?",
                (to_db(worker.seen_at - keep_expired),),
            )
        return await self.list_workers()

    async def report_owned(self, name: str, owned: Owned) -> None:
        """Correct the counts in a lease row after a renewal changed them."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE workers SET schedules = ?, rounds = ?, reminders = ? WHERE name = ?",
                (owned.schedules, owned.rounds, owned.reminders, name),
            )

    async def end_lease(self, name: str) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM workers WHERE name = ?", (name,))

    async def list_workers(self) -> list[Worker]:
        rows = await self.db.reader.execute_fetchall(_SELECT + "ORDER BY name")
        return [_row_to_worker(row) for row in rows]
