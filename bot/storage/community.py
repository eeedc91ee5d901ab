"""Study groups, question reports and the weekly-recap ledger."""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import UserError
from bot.core.models import ChannelRef, Group, Report, SpaceKey, UserRef
from bot.storage.database import from_db, to_db
from bot.storage.identity import Identities
from bot.storage.sql import INTEGRITY_ERRORS, Database, insert_returning_id


class CommunityRecords:
    db: Database
    ids: Identities

    async def create_group(
        self, space: SpaceKey, name: str, creator: UserRef, now: datetime
    ) -> Group:
        try:
            async with self.db.write() as conn:
                space_id = await self.ids.space_id(conn, space)
                user_id = await self.ids.user_id(conn, creator)
                group_id = await insert_returning_id(
                    conn,
                    "INSERT INTO study_groups (space_id, name, name_key, created_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (space_id, name, name.casefold(), user_id, to_db(now)),
                )
                await conn.execute(
                    "INSERT INTO group_members (group_id, user_id, joined_at) VALUES (?, ?, ?)",
                    (group_id, user_id, to_db(now)),
                )
        except INTEGRITY_ERRORS as exc:
            raise UserError(f"a group called '{name}' already exists here") from exc
        assert group_id is not None
        return Group(group_id, name, 1)

    async def find_group(self, space: SpaceKey, name: str) -> Group | None:
        space_id = await self.ids.find_space(self.db.reader, space)
        if space_id is None:
            return None
        async with self.db.reader.execute(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) "
            "FROM study_groups g WHERE g.space_id = ? AND g.name_key = ?",
            (space_id, name.strip().casefold()),
        ) as cursor:
            row = await cursor.fetchone()
        return Group(int(row[0]), row[1], int(row[2])) if row else None

    async def list_groups(self, space: SpaceKey) -> list[Group]:
        space_id = await self.ids.find_space(self.db.reader, space)
        if space_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) "
            "FROM study_groups g WHERE g.space_id = ? ORDER BY g.name_key",
            (space_id,),
        ) as cursor:
            return [Group(int(r[0]), r[1], int(r[2])) async for r in cursor]

    async def join_group(self, group_id: int, user: UserRef, now: datetime) -> bool:
        async with self.db.write() as conn:
            user_id = await self.ids.user_id(conn, user)
            cursor = await conn.execute(
                "INSERT INTO group_members (group_id, user_id, joined_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (group_id, user_id, to_db(now)),
            )
            return cursor.rowcount > 0

    async def leave_group(self, group_id: int, user: UserRef) -> bool:
        async with self.db.write() as conn:
            user_id = await self.ids.user_id(conn, user)
            cursor = await conn.execute(
                "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
            )
            return cursor.rowcount > 0

    async def groups_of(self, space: SpaceKey, user: UserRef) -> list[Group]:
        space_id = await self.ids.find_space(self.db.reader, space)
        user_id = await self.ids.find_user(self.db.reader, user)
        if space_id is None or user_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) "
            "FROM study_groups g JOIN group_members gm ON gm.group_id = g.id "
            "WHERE g.space_id = ? AND gm.user_id = ? ORDER BY g.name_key",
            (space_id, user_id),
        ) as cursor:
            return [Group(int(r[0]), r[1], int(r[2])) async for r in cursor]

    async def add_report(
        self, question_id: str, space: SpaceKey | None, user: UserRef, reason: str, now: datetime
    ) -> Report:
        async with self.db.write() as conn:
            space_id = await self.ids.space_id(conn, space) if space else None
            user_id = await self.ids.user_id(conn, user)
            report_id = await insert_returning_id(
                conn,
                "INSERT INTO reports (question_id, space_id, user_id, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (question_id, space_id, user_id, reason, to_db(now)),
            )
        assert report_id is not None
        return Report(report_id, question_id, user.label, reason, now, space[1] if space else "")

    async def open_reports(self, space: SpaceKey | None = None) -> list[Report]:
        query = (
            "SELECT r.id, r.question_id, u.display_name, u.external_id, r.reason, r.created_at, "
            "COALESCE(s.external_id, '') FROM reports r JOIN users u ON u.id = r.user_id "
            "LEFT JOIN spaces s ON s.id = r.space_id WHERE r.status = 'open' "
        )
        params: tuple[str, ...] = ()
        if space is not None:
            query += "AND s.platform = ? AND s.external_id = ? "
            params = space
        async with self.db.reader.execute(query + "ORDER BY r.question_id, r.id", params) as cursor:
            return [
                Report(int(r[0]), r[1], r[2] or r[3], r[4], from_db(r[5]), r[6])
                async for r in cursor
            ]

    async def claim_recap(self, channel: ChannelRef, week_key: str, now: datetime) -> bool:
        """True once per channel and week: the recap is posted only by whoever claims it."""
        async with self.db.write() as conn:
            channel_id = await self.ids.channel_id(conn, channel)
            cursor = await conn.execute(
                "INSERT INTO recaps (channel_id, week, posted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (channel_id, week_key, to_db(now)),
            )
            return cursor.rowcount > 0
