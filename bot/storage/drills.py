"""Private drill sessions and their answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.models import DrillSession, DrillTotals, SpaceKey, UserRef
from bot.core.questions import Question
from bot.core.reviews import CardReview
from bot.storage.database import from_db, to_db
from bot.storage.identity import Identities
from bot.storage.reviews import apply_review
from bot.storage.sql import Database, insert_returning_id


class DrillRecords:
    db: Database
    ids: Identities

    async def create_drill(
        self, user: UserRef, space: SpaceKey | None, questions: Sequence[Question], now: datetime
    ) -> DrillSession:
        snapshot = json.dumps([q.to_snapshot() for q in questions])
        async with self.db.write() as conn:
            user_id = await self.ids.user_id(conn, user)
            space_id = None if space is None else await self.ids.space_id(conn, space)
            session_id = await insert_returning_id(
                conn,
                "INSERT INTO drill_sessions (user_id, space_id, questions, started_at) "
                "VALUES (?, ?, ?, ?)",
                (user_id, space_id, snapshot, to_db(now)),
            )
        assert session_id is not None
        return DrillSession(session_id, user, tuple(questions), 0, 0, now, now)

    async def get_drill(self, session_id: int) -> DrillSession | None:
        async with self.db.reader.execute(
            "SELECT d.id, d.questions, d.position, d.correct, d.started_at, "
            "u.platform, u.external_id, u.display_name, "
            "(SELECT MAX(a.answered_at) FROM drill_answers a WHERE a.session_id = d.id) "
            "FROM drill_sessions d JOIN users u ON u.id = d.user_id WHERE d.id = ?",
            (session_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return DrillSession(
            id=int(row[0]),
            user=UserRef(row[5], row[6], row[7]),
            questions=tuple(Question.from_snapshot(q) for q in json.loads(row[1])),
            position=int(row[2]),
            correct=int(row[3]),
            started_at=from_db(row[4]),
            step_started_at=from_db(row[8] or row[4]),
        )

    async def record_drill_answer(
        self,
        session: DrillSession,
        question: Question,
        choice: str,
        correct: bool,
        now: datetime,
        review: CardReview | None = None,
    ) -> DrillSession | None:
        finished = session.position + 1 >= session.total
        async with self.db.write() as conn:
            # Moving the position only from the value the caller saw makes a
            # double click (or two devices) score the question once.
            cursor = await conn.execute(
                "UPDATE drill_sessions SET position = position + 1, correct = correct + ?, "
                "finished_at = CASE WHEN ? THEN ? ELSE finished_at END "
                "WHERE id = ? AND position = ?",
                (int(correct), finished, to_db(now), session.id, session.position),
            )
            if cursor.rowcount == 0:
                return None
            user_id = await self.ids.user_id(conn, session.user)
            await conn.execute(
                "INSERT INTO drill_answers "
                "(session_id, position, user_id, question_id, choice, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.position,
                    user_id,
                    question.id,
                    choice,
                    int(correct),
                    to_db(now),
                ),
            )
            if review is not None:  # the card moves with the answer, never apart
                await apply_review(conn, user_id, question, review)
        return replace(
            session,
            position=session.position + 1,
            correct=session.correct + int(correct),
            step_started_at=now,
        )

    async def drill_totals(self, user: UserRef) -> DrillTotals:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return DrillTotals()
        async with self.db.reader.execute(
            "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM drill_answers WHERE user_id = ?",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return DrillTotals(int(row[0]), int(row[1]))
