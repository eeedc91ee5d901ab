"""Cards, the review log and review sessions.

Two module-level helpers, :func:`load_cards` and :func:`save_reviews`, work on
a connection the caller already holds inside its own write transaction and
never commit: the drill answer, the review step and the daily reveal each move
their cards in the same transaction that records the answer, so an answer and
its card can never disagree after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

from bot.core.models import SpaceKey, UserRef
from bot.core.questions import Question
from bot.core.reviews import (
    CardPhase,
    CardReview,
    CardState,
    DueCard,
    Grade,
    ReviewItem,
    ReviewSession,
    StoredCard,
    TopicStanding,
)
from bot.storage.database import from_db, to_db
from bot.storage.identity import Identities, chunks, placeholders
from bot.storage.sql import Connection, Database, Row, insert_returning_id

CardKey = tuple[int, str]
"""(users.id, question id)."""

# The queue's reads, named so a test can check their plans use the indexes.
DUE_CARDS_SQL = (
    "SELECT question_id, due FROM cards WHERE user_id = ? AND due <= ? "
    "ORDER BY due, question_id LIMIT ?"
)
"""Most overdue first: a range of ``cards_by_due``, already in order."""
DUE_CARDS_AFTER_SQL = (
    "SELECT question_id, due FROM cards WHERE user_id = ? AND due <= ? "
    "AND (due > ? OR (due = ? AND question_id > ?)) "
    "ORDER BY due, question_id LIMIT ?"
)
"""The next page of :data:`DUE_CARDS_SQL` after a (due, question) mark."""
MASTERED_IN_TOPIC_SQL = (
    "SELECT COUNT(*) FROM cards WHERE user_id = ? AND topic = ? AND mastered_until > ?"
)
"""Mastered cards of one topic: a range of ``cards_by_mastery``, which covers it."""


@dataclass(frozen=True, slots=True)
class ReviewWrite:
    """One graded answer to write: the card's new state and its log entry."""

    user_id: int
    question_id: str
    topic: str
    card: CardState
    grade: Grade
    source: str
    """``daily``, ``drill`` or ``review``."""
    at: datetime


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def _optional_text(instant: datetime | None) -> str | None:
    return None if instant is None else to_db(instant)


def _card(row: Row) -> CardState:
    return CardState(
        state=CardPhase(int(row["state"])),
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=from_db(row["due"]),
        last_review=_optional_time(row["last_review"]),
        reps=int(row["reps"]),
        lapses=int(row["lapses"]),
        mastered_until=_optional_time(row["mastered_until"]),
    )


async def load_cards(conn: Connection, keys: Sequence[CardKey]) -> dict[CardKey, CardState]:
    """The stored cards among ``keys``; keys without a card are absent.

    Grouped by whichever side repeats more (one question for a whole channel
    at a reveal, many questions for one user), so every lookup is a primary
    key probe. Does not commit.
    """
    users = {user_id for user_id, _ in keys}
    questions = {question_id for _, question_id in keys}
    found: dict[CardKey, CardState] = {}
    if len(questions) <= len(users):
        for question_id in sorted(questions):
            wanted = sorted({u for u, q in keys if q == question_id})
            for users_part in chunks(wanted):
                async with conn.execute(
                    "SELECT user_id, question_id, state, step, stability, difficulty, due, "  # noqa: S608
                    "last_review, reps, lapses, mastered_until FROM cards "
                    f"WHERE question_id = ? AND user_id IN ({placeholders(len(users_part))})",
                    [question_id, *users_part],
                ) as cursor:
                    async for row in cursor:
                        found[(int(row["user_id"]), row["question_id"])] = _card(row)
    else:
        for user_id in sorted(users):
            asked = sorted({q for u, q in keys if u == user_id})
            for part in chunks(asked):
                async with conn.execute(
                    "SELECT user_id, question_id, state, step, stability, difficulty, due, "  # noqa: S608
                    "last_review, reps, lapses, mastered_until FROM cards "
                    f"WHERE user_id = ? AND question_id IN ({placeholders(len(part))})",
                    [user_id, *part],
                ) as cursor:
                    async for row in cursor:
                        found[(int(row["user_id"]), row["question_id"])] = _card(row)
    return found


async def save_reviews(conn: Connection, reviews: Sequence[ReviewWrite]) -> None:
    """Store each card's new state, log each grade and add it to the user's
    topic totals. Call inside a write transaction; does not commit."""
    if not reviews:
        return
    await conn.executemany(
        "INSERT INTO cards (user_id, question_id, topic, state, step, stability, difficulty, "
        "due, last_review, mastered_until, reps, lapses) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id, question_id) DO UPDATE SET topic = excluded.topic, "
        "state = excluded.state, step = excluded.step, stability = excluded.stability, "
        "difficulty = excluded.difficulty, due = excluded.due, "
        "last_review = excluded.last_review, mastered_until = excluded.mastered_until, "
        "reps = excluded.reps, lapses = excluded.lapses",
        [
            (
                r.user_id,
                r.question_id,
                r.topic,
                int(r.card.state),
                r.card.step,
                r.card.stability,
                r.card.difficulty,
                to_db(r.card.due),
                _optional_text(r.card.last_review),
                _optional_text(r.card.mastered_until),
                r.card.reps,
                r.card.lapses,
            )
            for r in reviews
        ],
    )
    await conn.executemany(
        "INSERT INTO review_log (user_id, question_id, topic, grade, source, reviewed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (r.user_id, r.question_id, r.topic, int(r.grade), str(r.source), to_db(r.at))
            for r in reviews
        ],
    )
    totals: dict[tuple[int, str], list[int]] = {}
    for r in reviews:
        counts = totals.setdefault((r.user_id, r.topic), [0, 0])
        counts[0] += 1
        counts[1] += r.grade is not Grade.AGAIN
    await conn.executemany(
        "INSERT INTO review_topics (user_id, topic, reviews, correct) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id, topic) DO UPDATE SET reviews = review_topics.reviews + excluded.reviews, "
        "correct = review_topics.correct + excluded.correct",
        [(user_id, topic, n, right) for (user_id, topic), (n, right) in totals.items()],
    )


async def apply_review(
    conn: Connection, user_id: int, question: Question, review: CardReview
) -> CardState:
    """Read one card, apply ``review`` to it and write it back, inside the
    caller's transaction (so two answers never both start from the old card)."""
    key = (user_id, question.id)
    card = review.apply((await load_cards(conn, [key])).get(key))
    await save_reviews(
        conn,
        [
            ReviewWrite(
                user_id, question.id, question.topic, card, review.grade, review.source, review.at
            )
        ],
    )
    return card


def _items_json(items: Sequence[ReviewItem]) -> str:
    return json.dumps(
        [
            {"question": item.question.to_snapshot(), "due": _optional_text(item.due)}
            for item in items
        ]
    )


def _items(text: str) -> tuple[ReviewItem, ...]:
    data: list[dict[str, Any]] = json.loads(text)
    return tuple(
        ReviewItem(Question.from_snapshot(entry["question"]), _optional_time(entry["due"]))
        for entry in data
    )


class ReviewRecords:
    """The queue's reads use ``execute_fetchall``: one trip to the database
    thread per query instead of three (execute, fetch, close), which is most
    of what a query costs here."""

    db: Database
    ids: Identities

    # --- the queue --------------------------------------------------------

    async def due_card_count(self, user: UserRef, now: datetime) -> int:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return 0
        found = await self.db.reader.execute_fetchall(
            "SELECT COUNT(*) FROM cards WHERE user_id = ? AND due <= ?", (user_id, to_db(now))
        )
        return sum(int(row[0]) for row in found)

    async def next_due(self, user: UserRef, after: datetime) -> datetime | None:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return None
        found = await self.db.reader.execute_fetchall(
            "SELECT MIN(due) FROM cards WHERE user_id = ? AND due > ?", (user_id, to_db(after))
        )
        first = next(iter(found), None)
        return None if first is None or first[0] is None else from_db(first[0])

    async def due_cards(
        self, user: UserRef, now: datetime, limit: int, after: DueCard | None = None
    ) -> list[DueCard]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return []
        if after is None:
            found = await self.db.reader.execute_fetchall(
                DUE_CARDS_SQL, (user_id, to_db(now), limit)
            )
        else:
            mark = to_db(after.due)
            found = await self.db.reader.execute_fetchall(
                DUE_CARDS_AFTER_SQL, (user_id, to_db(now), mark, mark, after.question_id, limit)
            )
        return [DueCard(row[0], from_db(row[1])) for row in found]

    async def held_cards(self, user: UserRef, question_ids: Sequence[str]) -> set[str]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return set()
        held: set[str] = set()
        for part in chunks(list(question_ids)):
            found = await self.db.reader.execute_fetchall(
                "SELECT question_id FROM cards "  # noqa: S608
                f"WHERE user_id = ? AND question_id IN ({placeholders(len(part))})",
                [user_id, *part],
            )
            held.update(row[0] for row in found)
        return held

    async def topic_totals(self, user: UserRef) -> dict[str, TopicStanding]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return {}
        found = await self.db.reader.execute_fetchall(
            "SELECT topic, reviews, correct FROM review_topics WHERE user_id = ?", (user_id,)
        )
        return {row[0]: TopicStanding(int(row[1]), int(row[2])) for row in found}

    async def mastered_counts(
        self, user: UserRef, now: datetime, topics: Sequence[str]
    ) -> dict[str, int]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return {}
        counts: dict[str, int] = {}
        for topic in topics:
            found = await self.db.reader.execute_fetchall(
                MASTERED_IN_TOPIC_SQL, (user_id, topic, to_db(now))
            )
            counts[topic] = sum(int(row[0]) for row in found)
        return counts

    async def user_cards(self, user: UserRef) -> list[StoredCard]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return []
        async with self.db.reader.execute(
            "SELECT question_id, topic, state, step, stability, difficulty, due, last_review, "
            "reps, lapses, mastered_until FROM cards WHERE user_id = ?",
            (user_id,),
        ) as cursor:
            return [StoredCard(row[0], row[1], _card(row)) async for row in cursor]

    async def reviews_per_day(self, user: UserRef, since: date) -> dict[date, int]:
        user_id = await self.ids.find_user(self.db.reader, user)
        if user_id is None:
            return {}
        start = to_db(datetime.combine(since, time(), UTC))
        async with self.db.reader.execute(
            "SELECT substr(reviewed_at, 1, 10), COUNT(*) FROM review_log "
            "WHERE user_id = ? AND reviewed_at >= ? GROUP BY 1",
            (user_id, start),
        ) as cursor:
            return {date.fromisoformat(row[0]): int(row[1]) for row in await cursor.fetchall()}

    # --- sessions ---------------------------------------------------------

    async def create_review_session(
        self, user: UserRef, space: SpaceKey | None, items: Sequence[ReviewItem], now: datetime
    ) -> ReviewSession:
        async with self.db.write() as conn:
            user_id = await self.ids.user_id(conn, user)
            space_id = None if space is None else await self.ids.space_id(conn, space)
            session_id = await insert_returning_id(
                conn,
                "INSERT INTO review_sessions (user_id, space_id, items, started_at, active_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, space_id, _items_json(items), to_db(now), to_db(now)),
            )
        assert session_id is not None
        return ReviewSession(session_id, user, tuple(items), 0, False, 0, (), now, now)

    async def get_review_session(self, session_id: int) -> ReviewSession | None:
        async with self.db.reader.execute(
            "SELECT s.id, s.items, s.position, s.revealed, s.correct, s.grades, s.started_at, "
            "s.active_at, s.expired_at, u.platform, u.external_id, u.display_name "
            "FROM review_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
            (session_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return ReviewSession(
            id=int(row["id"]),
            user=UserRef(row["platform"], row["external_id"], row["display_name"]),
            items=_items(row["items"]),
            position=int(row["position"]),
            revealed=bool(row["revealed"]),
            correct=int(row["correct"]),
            grades=tuple(Grade(int(digit)) for digit in row["grades"]),
            started_at=from_db(row["started_at"]),
            active_at=from_db(row["active_at"]),
            expired=row["expired_at"] is not None,
        )

    async def reveal_review_card(
        self, session: ReviewSession, now: datetime, idle_since: datetime
    ) -> ReviewSession | None:
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE review_sessions SET revealed = 1, active_at = ? "
                "WHERE id = ? AND position = ? AND finished_at IS NULL AND expired_at IS NULL "
                "AND active_at > ?",
                (to_db(now), session.id, session.position, to_db(idle_since)),
            )
            if cursor.rowcount == 0:
                return None
        return replace(session, revealed=True, active_at=now)

    async def record_review_step(
        self,
        session: ReviewSession,
        review: CardReview,
        *,
        correct: bool | None,
        idle_since: datetime,
    ) -> tuple[ReviewSession, CardState] | None:
        item = session.current
        if item is None:
            return None
        finished = session.position + 1 >= session.total
        now = review.at
        async with self.db.write() as conn:
            # Moving on only from the position the caller saw makes a double
            # click (or a second device) count once; the idle check here, in
            # the write transaction, closes the gap between reading and writing.
            cursor = await conn.execute(
                "UPDATE review_sessions SET position = position + 1, revealed = 0, "
                "correct = correct + ?, grades = grades || ?, active_at = ?, "
                "finished_at = CASE WHEN ? THEN ? ELSE NULL END "
                "WHERE id = ? AND position = ? AND finished_at IS NULL AND expired_at IS NULL "
                "AND active_at > ?",
                (
                    int(bool(correct)),
                    str(int(review.grade)),
                    to_db(now),
                    finished,
                    to_db(now),
                    session.id,
                    session.position,
                    to_db(idle_since),
                ),
            )
            if cursor.rowcount == 0:
                return None
            user_id = await self.ids.user_id(conn, session.user)
            card = await apply_review(conn, user_id, item.question, review)
        updated = replace(
            session,
            position=session.position + 1,
            revealed=False,
            correct=session.correct + int(bool(correct)),
            grades=(*session.grades, review.grade),
            active_at=now,
        )
        return updated, card

    async def expire_review_session(self, session_id: int, now: datetime) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE review_sessions SET expired_at = ? "
                "WHERE id = ? AND finished_at IS NULL AND expired_at IS NULL",
                (to_db(now), session_id),
            )
