"""Leaderboard and streak reads over the materialised ``scores`` and ``streaks``
tables. Every query here walks an index; none aggregates over answers."""

from __future__ import annotations

from datetime import date

from bot.core.models import Group, ScoreRow, SpaceKey, StreakState, UserRef
from bot.storage.identity import Identities
from bot.storage.rounds import streak_from_row
from bot.storage.sql import Database

_GROUP_JOIN = "JOIN group_members gm ON gm.user_id = sc.user_id AND gm.group_id = ? "

# A caller's row and rank. Rank = users on a higher total + users tied on
# points who got there first. Server and channel boards read the higher totals
# from ``score_levels`` (one row per distinct total) and the tied users ahead
# from ``tie_blocks``: whole blocks before the caller's, then a count inside
# the caller's block, which bot/storage/ties.py keeps short. So neither a long
# list of totals nor a huge tie is counted row by row. A group board counts its
# members, as groups are small.
_SAME_BOARD = (
    "sc.space_id = me.space_id AND sc.channel_id = me.channel_id AND sc.period = me.period "
)
_SAME_TIE = (
    "b.space_id = me.space_id AND b.channel_id = me.channel_id AND b.period = me.period "
    "AND b.points = me.points "
)
_TIED = "AND sc.points = me.points AND (sc.reached_at, sc.user_id) < (me.reached_at, me.user_id)"
_ME = (
    "FROM users u JOIN scores me ON me.user_id = u.id WHERE u.platform = ? "
    "AND u.external_id = ? AND me.space_id = ? AND me.channel_id = ? AND me.period = ?"
)
# Only these module constants are joined; every value is a ? parameter.
_RANK = (
    "WITH me AS (SELECT me.*, u.display_name, u.external_id "  # noqa: S608
    + _ME
    # The caller's block: the last one starting at or before them. Its bounds
    # are one-row subqueries so the search walks the key backwards, no sort.
    + "), blk AS (SELECT b.lo_reached, b.lo_user FROM tie_blocks b WHERE "
    "(b.space_id, b.channel_id, b.period, b.points) = "
    "(SELECT space_id, channel_id, period, points FROM me) "
    "AND (b.lo_reached, b.lo_user) <= (SELECT reached_at, user_id FROM me) "
    "ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1) "
    "SELECT me.user_id, me.display_name, me.external_id, me.points, me.correct, me.answered, "
    "(SELECT COALESCE(SUM(sc.users), 0) FROM score_levels sc WHERE "
    + _SAME_BOARD
    + "AND sc.points > me.points) "
    "+ (SELECT COALESCE(SUM(b.users), 0) FROM tie_blocks b, blk WHERE "
    + _SAME_TIE
    + "AND (b.lo_reached, b.lo_user) < (blk.lo_reached, blk.lo_user)) "
    "+ (SELECT COUNT(*) FROM scores sc, blk WHERE "
    + _SAME_BOARD
    + _TIED
    + " AND (sc.reached_at, sc.user_id) >= (blk.lo_reached, blk.lo_user)) "
    "FROM me"
)
_GROUP_RANK = (
    "SELECT me.user_id, u.display_name, u.external_id, me.points, me.correct, me.answered, "  # noqa: S608
    "(SELECT COUNT(*) FROM scores sc "
    + _GROUP_JOIN
    + "WHERE "
    + _SAME_BOARD
    + "AND sc.points > me.points) + (SELECT COUNT(*) FROM scores sc "
    + _GROUP_JOIN
    + "WHERE "
    + _SAME_BOARD
    + _TIED
    + ") "
    + _ME
)


class ScoreRecords:
    db: Database
    ids: Identities

    async def _scope(self, space: SpaceKey, channel: str | None) -> tuple[int, int] | None:
        conn = self.db.reader
        space_id = await self.ids.find_space(conn, space)
        if space_id is None:
            return None
        if channel is None:
            return space_id, 0
        from bot.core.models import ChannelRef

        channel_id = await self.ids.find_channel(conn, ChannelRef(space[0], space[1], channel))
        return None if channel_id is None else (space_id, channel_id)

    async def top_scores(
        self,
        space: SpaceKey,
        channel: str | None,
        period_key: str,
        limit: int,
        group_id: int | None = None,
    ) -> list[ScoreRow]:
        scope = await self._scope(space, channel)
        if scope is None:
            return []
        join, extra = (_GROUP_JOIN, (group_id,)) if group_id is not None else ("", ())
        rows = await self.db.reader.execute_fetchall(
            "SELECT sc.user_id, u.display_name, u.external_id, sc.points, sc.correct, sc.answered "  # noqa: S608
            f"FROM scores sc {join}JOIN users u ON u.id = sc.user_id "
            "WHERE sc.space_id = ? AND sc.channel_id = ? AND sc.period = ? "
            "ORDER BY sc.points DESC, sc.reached_at, sc.user_id LIMIT ?",
            (*extra, *scope, period_key, limit),
        )
        return [
            ScoreRow(rank, int(r[0]), r[1] or r[2], int(r[3]), int(r[4]), int(r[5]))
            for rank, r in enumerate(rows, start=1)
        ]

    async def score_row(
        self,
        space: SpaceKey,
        channel: str | None,
        period_key: str,
        user: UserRef,
        group_id: int | None = None,
    ) -> ScoreRow | None:
        """The user's row and rank in one statement (one hop to the database thread)."""
        scope = await self._scope(space, channel)
        if scope is None:
            return None
        extra: tuple[int, ...] = ()
        sql = _RANK
        if group_id is not None:
            sql, extra = _GROUP_RANK, (group_id, group_id)
        rows = await self.db.reader.execute_fetchall(
            sql, (*extra, user.platform, user.external_id, *scope, period_key)
        )
        if not rows:
            return None
        r = next(iter(rows))
        return ScoreRow(1 + int(r[6]), int(r[0]), r[1] or r[2], int(r[3]), int(r[4]), int(r[5]))

    async def group_totals(self, space: SpaceKey, period_key: str) -> list[tuple[Group, int, int]]:
        space_id = await self.ids.find_space(self.db.reader, space)
        if space_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT g.id, g.name, COUNT(gm.user_id), COALESCE(SUM(sc.points), 0), "
            "COUNT(sc.user_id) FROM study_groups g "
            "LEFT JOIN group_members gm ON gm.group_id = g.id "
            "LEFT JOIN scores sc ON sc.user_id = gm.user_id AND sc.space_id = g.space_id "
            "AND sc.channel_id = 0 AND sc.period = ? "
            "WHERE g.space_id = ? GROUP BY g.id ORDER BY g.name_key",
            (period_key, space_id),
        ) as cursor:
            return [(Group(int(r[0]), r[1], int(r[2])), int(r[3]), int(r[4])) async for r in cursor]

    async def streak_state(self, space: SpaceKey, user: UserRef) -> StreakState | None:
        space_id = await self.ids.find_space(self.db.reader, space)
        user_id = await self.ids.find_user(self.db.reader, user)
        if space_id is None or user_id is None:
            return None
        async with self.db.reader.execute(
            "SELECT current, best, last_day, freezes, answered, correct FROM streaks "
            "WHERE space_id = ? AND user_id = ?",
            (space_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return streak_from_row(tuple(row)) if row else None

    async def streak_states(self, space: SpaceKey, limit: int) -> list[tuple[str, StreakState]]:
        space_id = await self.ids.find_space(self.db.reader, space)
        if space_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT st.current, st.best, st.last_day, st.freezes, st.answered, st.correct, "
            "u.display_name, u.external_id FROM streaks st JOIN users u ON u.id = st.user_id "
            "WHERE st.space_id = ? AND st.current > 0 ORDER BY st.current DESC, st.best DESC LIMIT ?",
            (space_id, limit),
        ) as cursor:
            return [(r[6] or r[7], streak_from_row(tuple(r)[:6])) async for r in cursor]

    async def round_days(self, space: SpaceKey, since: date) -> list[date]:
        space_id = await self.ids.find_space(self.db.reader, space)
        if space_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT round_date FROM rounds WHERE space_id = ? AND round_date >= ? "
            "GROUP BY round_date HAVING COUNT(CASE WHEN status <> 'revealed' THEN 1 END) = 0 ORDER BY round_date",
            (space_id, since.isoformat()),
        ) as cursor:
            return [date.fromisoformat(r[0]) async for r in cursor]
