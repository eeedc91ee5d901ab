"""A user's own data: everything stored about them, to export or to erase."""

from __future__ import annotations

import json
from typing import Any

from bot.core.models import UserRef
from bot.storage.identity import Identities
from bot.storage.sql import Cursor, Database

# What is erased. Each table is cleared by its own statement before the user
# row goes, so the triggers on `scores` (which keep `score_levels`, and so every
# rank, consistent) fire row by row instead of relying on cascades.
ERASED = (
    "answers",
    "scores",
    "streaks",
    "drill_answers",
    "drill_sessions",
    "group_memberships",
    "reports",
    "cards",
    "review_log",
    "review_topics",
    "review_sessions",
    "reminders",
)


class PrivacyRecords:
    db: Database
    ids: Identities

    async def export_user(self, user: UserRef) -> dict[str, Any] | None:
        async with self.db.write() as conn:  # one consistent view of every table
            user_id = await self.ids.find_user(conn, user)
            if user_id is None:
                return None
            key = (user_id,)
            async with conn.execute(
                "SELECT platform, external_id, display_name FROM users WHERE id = ?", key
            ) as cursor:
                profile = await cursor.fetchone()
            assert profile is not None
            found: dict[str, Any] = {
                "user": {
                    "platform": profile["platform"],
                    "id": profile["external_id"],
                    "display_name": profile["display_name"],
                }
            }
            async with conn.execute(
                "SELECT r.id AS round, r.question_id AS question, sp.external_id AS space, "
                "ch.external_id AS channel, r.round_date AS date, a.choice, "
                "a.answered_at, a.correct, a.points FROM answers a "
                "JOIN rounds r ON r.id = a.round_id JOIN spaces sp ON sp.id = r.space_id "
                "JOIN channels ch ON ch.id = r.channel_id WHERE a.user_id = ? "
                "ORDER BY a.answered_at",
                key,
            ) as cursor:
                found["answers"] = await _rows(cursor)
            async with conn.execute(
                "SELECT sp.external_id AS space, COALESCE(ch.external_id, '') AS channel, "
                "s.period, s.points, s.correct, s.answered, s.reached_at FROM scores s "
                "JOIN spaces sp ON sp.id = s.space_id "
                "LEFT JOIN channels ch ON ch.id = s.channel_id WHERE s.user_id = ? "
                "ORDER BY s.space_id, s.channel_id, s.period",
                key,
            ) as cursor:
                found["scores"] = await _rows(cursor)
            async with conn.execute(
                "SELECT sp.external_id AS space, current, best, last_day, freezes, answered, "
                "correct FROM streaks st JOIN spaces sp ON sp.id = st.space_id "
                "WHERE st.user_id = ?",
                key,
            ) as cursor:
                found["streaks"] = await _rows(cursor)
            async with conn.execute(
                "SELECT s.id AS drill, a.position, a.question_id AS question, a.choice, "
                "a.correct, a.answered_at FROM drill_answers a "
                "JOIN drill_sessions s ON s.id = a.session_id WHERE a.user_id = ? "
                "ORDER BY a.answered_at",
                key,
            ) as cursor:
                found["drills"] = await _rows(cursor)
            async with conn.execute(
                "SELECT sp.external_id AS space, g.name, m.joined_at FROM group_members m "
                "JOIN study_groups g ON g.id = m.group_id "
                "JOIN spaces sp ON sp.id = g.space_id WHERE m.user_id = ?",
                key,
            ) as cursor:
                found["groups"] = await _rows(cursor)
            async with conn.execute(
                "SELECT question_id AS question, reason, created_at, status FROM reports "
                "WHERE user_id = ? ORDER BY created_at",
                key,
            ) as cursor:
                found["reports"] = await _rows(cursor)
            async with conn.execute(
                "SELECT question_id AS question, topic, state, step, stability, difficulty, "
                "due, last_review, reps, lapses FROM cards WHERE user_id = ? "
                "ORDER BY question_id",
                key,
            ) as cursor:
                found["cards"] = await _rows(cursor)
            async with conn.execute(
                "SELECT question_id AS question, topic, grade, source, reviewed_at "
                "FROM review_log WHERE user_id = ? ORDER BY reviewed_at, id",
                key,
            ) as cursor:
                found["reviews"] = await _rows(cursor)
            async with conn.execute(
                "SELECT topic, reviews, correct FROM review_topics WHERE user_id = ? "
                "ORDER BY topic",
                key,
            ) as cursor:
                found["review_topics"] = await _rows(cursor)
            async with conn.execute(
                "SELECT id AS review, items, position, correct, grades, started_at, "
                "active_at, finished_at, expired_at FROM review_sessions WHERE user_id = ? "
                "ORDER BY id",
                key,
            ) as cursor:
                found["review_sessions"] = [
                    {**row, "items": [i["question"]["id"] for i in json.loads(row["items"])]}
                    for row in await _rows(cursor)
                ]
            async with conn.execute(
                "SELECT remind_at AS time, timezone, enabled, last_sent, updated_at "
                "FROM reminders WHERE user_id = ?",
                key,
            ) as cursor:
                found["reminders"] = await _rows(cursor)
            return found

    async def delete_user(self, user: UserRef) -> dict[str, int]:
        """Erase ``user`` and everything stored about them; the counts of rows
        removed per kind (all zero when the bot never stored them)."""
        removed = dict.fromkeys(ERASED, 0)
        async with self.db.write() as conn:
            user_id = await self.ids.find_user(conn, user)
            if user_id is None:
                return removed
            key = (user_id,)
            for name, cursor in (
                ("answers", await conn.execute("DELETE FROM answers WHERE user_id = ?", key)),
                ("scores", await conn.execute("DELETE FROM scores WHERE user_id = ?", key)),
                ("streaks", await conn.execute("DELETE FROM streaks WHERE user_id = ?", key)),
                (
                    "drill_answers",
                    await conn.execute("DELETE FROM drill_answers WHERE user_id = ?", key),
                ),
                (
                    "drill_sessions",
                    await conn.execute("DELETE FROM drill_sessions WHERE user_id = ?", key),
                ),
                (
                    "group_memberships",
                    await conn.execute("DELETE FROM group_members WHERE user_id = ?", key),
                ),
                ("reports", await conn.execute("DELETE FROM reports WHERE user_id = ?", key)),
                ("cards", await conn.execute("DELETE FROM cards WHERE user_id = ?", key)),
                (
                    "review_log",
                    await conn.execute("DELETE FROM review_log WHERE user_id = ?", key),
                ),
                (
                    "review_topics",
                    await conn.execute("DELETE FROM review_topics WHERE user_id = ?", key),
                ),
                (
                    "review_sessions",
                    await conn.execute("DELETE FROM review_sessions WHERE user_id = ?", key),
                ),
                ("reminders", await conn.execute("DELETE FROM reminders WHERE user_id = ?", key)),
            ):
                removed[name] = cursor.rowcount
            await conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        # The key may be handed to a new row later; the cache must not keep it.
        self.ids.forget()
        return removed


async def _rows(cursor: Cursor) -> list[dict[str, Any]]:
    return [dict(row) async for row in cursor]
