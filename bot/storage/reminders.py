"""Daily reminder rows: one per user, with the local date of the last one sent."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.core.models import UserRef
from bot.core.reminders import Reminder
from bot.storage.database import to_db
from bot.storage.identity import Identities
from bot.storage.sql import Database, Row

_SELECT = (
    "SELECT r.user_id, r.remind_at, r.timezone, r.enabled, r.last_sent, "
    "u.platform, u.external_id, u.display_name FROM reminders r JOIN users u ON u.id = r.user_id "
)


def _row_to_reminder(row: Row) -> Reminder:
    hour, minute = map(int, row["remind_at"].split(":"))
    return Reminder(
        user_id=int(row["user_id"]),
        user=UserRef(row["platform"], row["external_id"], row["display_name"]),
        at=time(hour, minute),
        timezone=row["timezone"],
        enabled=bool(row["enabled"]),
        last_sent=date.fromisoformat(row["last_sent"]) if row["last_sent"] else None,
    )


class ReminderRecords:
    db: Database
    ids: Identities

    async def save_reminder(
        self, user: UserRef, at: time, timezone: str, now: datetime
    ) -> Reminder:
        async with self.db.write() as conn:
            user_id = await self.ids.user_id(conn, user)
            await conn.execute(
                "INSERT INTO reminders (user_id, remind_at, timezone, enabled, updated_at) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "remind_at = excluded.remind_at, timezone = excluded.timezone, enabled = 1, "
                "updated_at = excluded.updated_at",
                (user_id, at.strftime("%H:%M"), timezone, to_db(now)),
            )
        saved = await self.get_reminder_by_id(user_id)
        assert saved is not None
        return saved

    async def get_reminder(self, user: UserRef) -> Reminder | None:
        rows = await self.db.reader.execute_fetchall(
            _SELECT + "WHERE u.platform = ? AND u.external_id = ?",
            (user.platform, user.external_id),
        )
        return _row_to_reminder(next(iter(rows))) if rows else None

    async def get_reminder_by_id(self, user_id: int) -> Reminder | None:
        rows = await self.db.reader.execute_fetchall(_SELECT + "WHERE r.user_id = ?", (user_id,))
        return _row_to_reminder(next(iter(rows))) if rows else None

    async def list_reminders(self) -> list[Reminder]:
        async with self.db.reader.execute(
            _SELECT + "WHERE r.enabled = 1 ORDER BY r.user_id"
        ) as cursor:
            return [_row_to_reminder(row) async for row in cursor]

    async def set_reminder_enabled(self, user_id: int, enabled: bool, now: datetime) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE reminders SET enabled = ?, updated_at = ? WHERE user_id = ?",
                (int(enabled), to_db(now), user_id),
            )

    async def claim_reminder(self, user_id: int, day: date) -> bool:
        # ISO dates compare as text in date order.
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE reminders SET last_sent = ? WHERE user_id = ? AND enabled = 1 "
                "AND (last_sent IS NULL OR last_sent < ?)",
                (day.isoformat(), user_id, day.isoformat()),
            )
            return cursor.rowcount == 1

    async def release_reminder(self, user_id: int, day: date, previous: date | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE reminders SET last_sent = ? WHERE user_id = ? AND last_sent = ?",
                (previous.isoformat() if previous else None, user_id, day.isoformat()),
            )
