"""Schedule rows."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.models import ChannelRef, Schedule, SpaceKey
from bot.core.questions import Difficulty
from bot.storage.identity import Identities
from bot.storage.sql import Database, Row

_SELECT = (
    "SELECT sc.*, s.platform, s.external_id AS space_ext, c.external_id AS channel_ext "
    "FROM schedules sc JOIN channels c ON c.id = sc.channel_id JOIN spaces s ON s.id = c.space_id "
)


def _days_to_mask(days: frozenset[int]) -> int:
    return sum(1 << d for d in days)


def _mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask & (1 << d))


def _row_to_schedule(row: Row) -> Schedule:
    hour, minute = map(int, row["post_time"].split(":"))
    return Schedule(
        id=int(row["id"]),
        channel=ChannelRef(row["platform"], row["space_ext"], row["channel_ext"]),
        post_time=time(hour, minute),
        timezone=row["timezone"],
        weekdays=_mask_to_days(int(row["weekdays"])),
        reveal_after=timedelta(seconds=int(row["reveal_after_s"])),
        topics=tuple(t for t in row["topics"].split(",") if t),
        difficulty=Difficulty(row["difficulty"]) if row["difficulty"] else None,
        paused=bool(row["paused"]),
        recap=bool(row["recap"]),
        failing=row["failing"],
    )


class ScheduleRecords:
    db: Database
    ids: Identities

    async def save_schedule(self, schedule: Schedule) -> Schedule:
        """Insert or replace the schedule of ``schedule.channel``."""
        async with self.db.write() as conn:
            channel_id = await self.ids.channel_id(conn, schedule.channel)
            await conn.execute(
                "INSERT INTO schedules (channel_id, post_time, timezone, weekdays, reveal_after_s, "
                "topics, difficulty, paused, recap, failing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (channel_id) DO UPDATE SET post_time = excluded.post_time, "
                "timezone = excluded.timezone, weekdays = excluded.weekdays, "
                "reveal_after_s = excluded.reveal_after_s, topics = excluded.topics, "
                "difficulty = excluded.difficulty, paused = excluded.paused, "
                "recap = excluded.recap, failing = excluded.failing",
                (
                    channel_id,
                    schedule.post_time.strftime("%H:%M"),
                    schedule.timezone,
                    _days_to_mask(schedule.weekdays),
                    int(schedule.reveal_after.total_seconds()),
                    ",".join(schedule.topics),
                    schedule.difficulty.value if schedule.difficulty else None,
                    int(schedule.paused),
                    int(schedule.recap),
                    schedule.failing,
                ),
            )
        saved = await self.get_schedule(schedule.channel)
        assert saved is not None
        return saved

    # Both run on every leaderboard and every post: execute_fetchall is one
    # hop to the database thread instead of three (execute, fetch, close).
    async def get_schedule(self, channel: ChannelRef) -> Schedule | None:
        rows = await self.db.reader.execute_fetchall(
            _SELECT + "WHERE s.platform = ? AND s.external_id = ? AND c.external_id = ?",
            (channel.platform, channel.space, channel.channel),
        )
        return _row_to_schedule(next(iter(rows))) if rows else None

    async def get_schedule_by_id(self, schedule_id: int) -> Schedule | None:
        rows = await self.db.reader.execute_fetchall(_SELECT + "WHERE sc.id = ?", (schedule_id,))
        return _row_to_schedule(next(iter(rows))) if rows else None

    async def list_schedules(self, space: SpaceKey | None = None) -> list[Schedule]:
        params: tuple[str, ...]
        if space is None:
            query, params = _SELECT + "ORDER BY sc.id", ()
        else:
            query, params = (
                _SELECT + "WHERE s.platform = ? AND s.external_id = ? ORDER BY sc.id",
                space,
            )
        async with self.db.reader.execute(query, params) as cursor:
            return [_row_to_schedule(row) async for row in cursor]

    async def delete_schedule(self, schedule_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))

    async def set_schedule_failing(self, schedule_id: int, reason: str | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE schedules SET failing = ? WHERE id = ?", (reason, schedule_id)
            )
