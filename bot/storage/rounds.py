"""Rounds, answers and the reveal transaction."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core.models import (
    AnswerOutcome,
    AnswerResult,
    AnswerSubmission,
    ChannelRef,
    RecordedAnswer,
    RevealTally,
    Round,
    RoundKind,
    RoundStatus,
    StreakState,
)
from bot.core.periods import keys_for
from bot.core.ports import SettleFn, Settlement
from bot.core.questions import Question
from bot.core.streaks import MAX_FREEZES
from bot.storage.database import from_db, to_db
from bot.storage.identity import Identities, chunks, placeholders
from bot.storage.reviews import ReviewWrite, load_cards, save_reviews
from bot.storage.sql import INTEGRITY_ERRORS, Connection, Database, Row, insert_returning_id
from bot.storage.ties import split_full_blocks

_SELECT = (
    "SELECT r.*, s.platform, s.external_id AS space_ext, c.external_id AS channel_ext "
    "FROM rounds r JOIN channels c ON c.id = r.channel_id JOIN spaces s ON s.id = r.space_id "
)
_ANSWERABLE = (RoundStatus.POSTING.value, RoundStatus.OPEN.value)
ANSWERS_PER_INSERT = 250  # four parameters a row, well under either store's limit
_REVEALING = "revealing"
"""Not a stored status: how the answer path sees a round whose reveal has begun."""


@dataclass(frozen=True, slots=True)
class RevealSteps:
    """How big each step of a reveal is.

    The step size adapts: after each step it is scaled so the next one should
    hold the write lock for about ``target_seconds``, whatever this machine's
    speed or the round's history. Everyone else's answers wait at most one
    step, not the whole reveal.
    """

    target_seconds: float = 0.012
    first: int = 100
    smallest: int = 20
    largest: int = 5000

    def next_size(self, size: int, taken: int, elapsed: float) -> int:
        if taken < size or elapsed <= 0:
            return size
        scaled = int(size * self.target_seconds / elapsed)
        # Grow at most twofold a step so one lucky fast step cannot overshoot.
        return max(self.smallest, min(self.largest, scaled, size * 2))


def _row_to_round(row: Row) -> Round:
    return Round(
        id=int(row["id"]),
        channel=ChannelRef(row["platform"], row["space_ext"], row["channel_ext"]),
        question=Question.from_snapshot(json.loads(row["question"])),
        kind=RoundKind(row["kind"]),
        round_date=date.fromisoformat(row["round_date"]),
        timezone=row["timezone"],
        posted_at=from_db(row["posted_at"]),
        reveals_at=from_db(row["reveals_at"]),
        status=RoundStatus(row["status"]),
        schedule_id=row["schedule_id"],
        message_id=row["message_id"],
        revealed_at=from_db(row["revealed_at"]) if row["revealed_at"] else None,
        reveal_begun=row["scored_upto"] is not None and row["status"] != "revealed",
    )


class RoundRecords:
    db: Database
    ids: Identities
    reveal_steps: RevealSteps = RevealSteps()

    async def claim_round(
        self,
        channel: ChannelRef,
        *,
        kind: RoundKind,
        round_date: date,
        timezone: str,
        question: Question,
        posted_at: datetime,
        reveals_at: datetime,
        schedule_id: int | None,
    ) -> Round | None:
        try:
            async with self.db.write() as conn:
                channel_id = await self.ids.channel_id(conn, channel)
                space_id = await self.ids.space_id(conn, channel.space_key)
                if kind is RoundKind.EXTRA and await self._open_here(conn, channel_id):
                    return None
                round_id = await insert_returning_id(
                    conn,
                    "INSERT INTO rounds (space_id, channel_id, schedule_id, kind, round_date, "
                    "timezone, question_id, question, status, posted_at, reveals_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        space_id,
                        channel_id,
                        schedule_id,
                        kind.value,
                        round_date.isoformat(),
                        timezone,
                        question.id,
                        json.dumps(question.to_snapshot()),
                        RoundStatus.POSTING.value,
                        to_db(posted_at),
                        to_db(reveals_at),
                    ),
                )
        except INTEGRITY_ERRORS:
            return None  # that channel already has its scheduled round for this date
        assert round_id is not None
        return Round(
            id=round_id,
            channel=channel,
            question=question,
            kind=kind,
            round_date=round_date,
            timezone=timezone,
            posted_at=posted_at,
            reveals_at=reveals_at,
            status=RoundStatus.POSTING,
            schedule_id=schedule_id,
        )

    async def _open_here(self, conn: Connection, channel_id: int) -> bool:
        """Inside the claim's write: is a round still unrevealed in the channel?
        Locking the channel's row first makes two processes claiming an extra
        round there at once take turns, so the second sees the first's round
        (SQLite has one writer at a time already)."""
        await conn.execute("SELECT id FROM channels WHERE id = ? /*pg: FOR UPDATE*/", (channel_id,))
        rows = await conn.execute_fetchall(
            "SELECT 1 FROM rounds WHERE channel_id = ? AND status <> 'revealed' LIMIT 1",
            (channel_id,),
        )
        return bool(rows)

    async def mark_posted(self, round_id: int, message_id: str | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE rounds SET status = 'open', message_id = ? WHERE id = ? AND status = 'posting'",
                (message_id, round_id),
            )

    async def discard_round(self, round_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "DELETE FROM rounds WHERE id = ? AND status = 'posting'", (round_id,)
            )

    async def get_round(self, round_id: int) -> Round | None:
        async with self.db.reader.execute(_SELECT + "WHERE r.id = ?", (round_id,)) as cursor:
            row = await cursor.fetchone()
        return _row_to_round(row) if row else None

    async def unrevealed_rounds(self) -> list[Round]:
        async with self.db.reader.execute(
            _SELECT + "WHERE r.status != 'revealed' ORDER BY r.reveals_at, r.id"
        ) as cursor:
            return [_row_to_round(row) async for row in cursor]

    async def latest_open_round(self, channel: ChannelRef) -> Round | None:
        channel_id = await self.ids.find_channel(self.db.reader, channel)
        if channel_id is None:
            return None
        async with self.db.reader.execute(
            _SELECT
            + "WHERE r.channel_id = ? AND r.status != 'revealed' ORDER BY r.id DESC LIMIT 1",
            (channel_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return _row_to_round(row) if row else None

    async def asked_counts(self, channel: ChannelRef) -> dict[str, int]:
        channel_id = await self.ids.find_channel(self.db.reader, channel)
        if channel_id is None:
            return {}
        async with self.db.reader.execute(
            "SELECT question_id, COUNT(*) FROM rounds WHERE channel_id = ? GROUP BY question_id",
            (channel_id,),
        ) as cursor:
            return {row[0]: int(row[1]) async for row in cursor}

    async def has_scheduled_round(self, channel: ChannelRef, round_date: date) -> bool:
        channel_id = await self.ids.find_channel(self.db.reader, channel)
        if channel_id is None:
            return False
        async with self.db.reader.execute(
            "SELECT 1 FROM rounds WHERE channel_id = ? AND round_date = ? AND kind = 'scheduled'",
            (channel_id, round_date.isoformat()),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def round_count(self, channel: ChannelRef, since: date) -> int:
        channel_id = await self.ids.find_channel(self.db.reader, channel)
        if channel_id is None:
            return 0
        async with self.db.reader.execute(
            "SELECT COUNT(*) FROM rounds WHERE channel_id = ? AND round_date >= ?",
            (channel_id, since.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def round_answer_count(self, round_id: int) -> int:
        async with self.db.reader.execute(
            "SELECT COUNT(*) FROM answers WHERE round_id = ?", (round_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def record_answers(self, batch: Sequence[AnswerSubmission]) -> list[AnswerResult]:
        """Write a batch of answers in one transaction; one result per submission.

        Optimistic: almost every answer in a burst is a user's first, so the
        rows are inserted with ``ON CONFLICT DO NOTHING`` and the change count
        confirms it. Only when some row was already there (a double click that
        landed in an earlier batch) is the insert rolled back to a savepoint and
        redone after reading which users had answered.
        """
        async with self.db.write() as conn:
            user_keys = await self.ids.user_ids(conn, (s.user for s in batch))
            rounds = await _round_states(conn, sorted({s.round_id for s in batch}))
            results: list[AnswerResult | None] = [None] * len(batch)
            fresh: dict[tuple[int, int], tuple[int, AnswerSubmission]] = {}
            # A user's later clicks in this batch: told what their answer is once
            # the batch knows it, which is not their first click here when an
            # earlier batch already holds one.
            repeats: list[tuple[int, tuple[int, int]]] = []
            for index, sub in enumerate(batch):
                known = rounds.get(sub.round_id)
                if known is None:
                    results[index] = AnswerResult(AnswerOutcome.UNKNOWN_ROUND)
                    continue
                status, reveals_at = known
                if status not in _ANSWERABLE or sub.answered_at >= reveals_at:
                    results[index] = AnswerResult(AnswerOutcome.CLOSED, reveals_at=reveals_at)
                    continue
                key = (sub.round_id, user_keys[(sub.user.platform, sub.user.external_id)])
                if key in fresh:  # the same user twice in one batch
                    repeats.append((index, key))
                    continue
                fresh[key] = (index, sub)
            # The unique key decides who answered first, also between processes:
            # a row another transaction holds is not inserted, and is read back.
            inserted = await _insert_answers(conn, fresh)
            taken: dict[tuple[int, int], str] = {}
            missing = [key for key in fresh if key not in inserted]
            if missing:
                taken = await _taken_choices(conn, missing)
                for key in missing:
                    index, sub = fresh.pop(key)
                    results[index] = AnswerResult(
                        AnswerOutcome.ALREADY_ANSWERED, taken[key], rounds[sub.round_id][1]
                    )
            for index, key in repeats:
                stored = taken[key] if key in taken else fresh[key][1].choice
                results[index] = AnswerResult(
                    AnswerOutcome.ALREADY_ANSWERED, stored, rounds[key[0]][1]
                )
            accepted: dict[tuple[str, int], AnswerResult] = {}
            for key, (index, sub) in fresh.items():
                # Results are immutable, so equal ones are shared rather than rebuilt.
                shared = (sub.choice, key[0])
                if shared not in accepted:
                    accepted[shared] = AnswerResult(
                        AnswerOutcome.ACCEPTED, sub.choice, rounds[sub.round_id][1]
                    )
                results[index] = accepted[shared]
        assert all(result is not None for result in results)
        return results  # type: ignore[return-value]

    async def settle_round(self, round_id: int, now: datetime, settle: SettleFn) -> Round | None:
        """Reveal in steps: close the round, then score its answers a step at a
        time in user-id order, each step one transaction that also moves
        ``scored_upto``; the step that finds nothing left flips the status.

        Only the progress marker read *inside* each step's transaction decides
        what that step scores, so two callers (a late job and ``/daily
        reveal``) interleaving steps still score every answer once, and a
        restart after a crash resumes after the last committed step.
        """
        async with self.db.write() as conn:
            async with conn.execute(
                _SELECT + "WHERE r.id = ? /*pg: FOR UPDATE OF r*/", (round_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row["status"] == RoundStatus.REVEALED.value:
                return None
            if row["scored_upto"] is None:
                await conn.execute(
                    "UPDATE rounds SET scored_upto = 0, revealed_at = ? WHERE id = ?",
                    (to_db(now), round_id),
                )
            round_ = _row_to_round(row)
            space_id, channel_id = int(row["space_id"]), int(row["channel_id"])
            async with conn.execute(
                "SELECT DISTINCT round_date FROM rounds WHERE space_id = ? AND round_date < ? "
                "ORDER BY round_date DESC LIMIT ?",
                (space_id, round_.round_date.isoformat(), MAX_FREEZES + 1),
            ) as cursor:
                days = sorted([date.fromisoformat(r[0]) async for r in cursor])
        steps = self.reveal_steps
        size = steps.first
        while True:
            began = time.perf_counter()
            async with self.db.write() as conn:
                # A space's totals change in an order no index promises: one
                # space's steps go one at a time (a no-op on SQLite).
                await self.db.serialise(conn, space_id)
                async with conn.execute(
                    "SELECT status, scored_upto, revealed_at FROM rounds WHERE id = ? "
                    "/*pg: FOR UPDATE*/",
                    (round_id,),
                ) as cursor:
                    marker = await cursor.fetchone()
                if marker is None or marker[0] == RoundStatus.REVEALED.value:
                    return None  # another caller finished it
                async with conn.execute(
                    "SELECT a.user_id, u.display_name, u.external_id, a.choice, a.answered_at "
                    "FROM answers a JOIN users u ON u.id = a.user_id "
                    "WHERE a.round_id = ? AND a.user_id > ? ORDER BY a.user_id LIMIT ?",
                    (round_id, int(marker[1]), size),
                ) as cursor:
                    answers = [
                        RecordedAnswer(int(r[0]), r[1] or r[2], r[3], from_db(r[4]))
                        async for r in cursor
                    ]
                if answers:
                    await self._score_step(
                        conn, round_, space_id, channel_id, answers, settle, days
                    )
                    await conn.execute(
                        "UPDATE rounds SET scored_upto = ? WHERE id = ?",
                        (answers[-1].user_id, round_id),
                    )
                finished = len(answers) < size
                if finished:
                    await conn.execute(
                        "UPDATE rounds SET status = 'revealed' WHERE id = ?", (round_id,)
                    )
                    revealed_at = from_db(marker[2])
            if finished:
                return replace(
                    round_,
                    status=RoundStatus.REVEALED,
                    revealed_at=revealed_at,
                    reveal_begun=False,
                )
            size = steps.next_size(size, len(answers), time.perf_counter() - began)
            # Let the answers queued behind this step take the lock first.
            await asyncio.sleep(0)

    async def _score_step(
        self,
        conn: Connection,
        round_: Round,
        space_id: int,
        channel_id: int,
        answers: list[RecordedAnswer],
        settle: SettleFn,
        days: list[date],
    ) -> None:
        states = await self._streak_states(conn, space_id, [a.user_id for a in answers])
        settlement = settle(round_, answers, states, days)
        await conn.executemany(
            "UPDATE answers SET correct = ?, points = ? WHERE round_id = ? AND user_id = ?",
            [(int(s.correct), s.points, round_.id, s.user_id) for s in settlement.scored],
        )
        await conn.executemany(
            "INSERT INTO scores (space_id, channel_id, period, user_id, points, correct, "
            "answered, reached_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) "
            "ON CONFLICT (space_id, channel_id, period, user_id) DO UPDATE SET "
            "points = scores.points + excluded.points, correct = scores.correct + excluded.correct, "
            "answered = scores.answered + 1, reached_at = CASE WHEN excluded.points > 0 "
            "THEN excluded.reached_at ELSE scores.reached_at END",
            [
                (
                    space_id,
                    scope,
                    period,
                    s.user_id,
                    s.points,
                    int(s.correct),
                    to_db(s.answered_at),
                )
                for s in settlement.scored
                for scope in (channel_id, 0)
                for period in keys_for(round_.round_date)
            ],
        )
        await conn.executemany(
            "INSERT INTO streaks (space_id, user_id, current, best, last_day, freezes, "
            "answered, correct) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (space_id, user_id) DO UPDATE SET current = excluded.current, "
            "best = excluded.best, last_day = excluded.last_day, freezes = excluded.freezes, "
            "answered = excluded.answered, correct = excluded.correct",
            [
                (
                    space_id,
                    user_id,
                    st.current,
                    st.best,
                    st.last_day.isoformat() if st.last_day else None,
                    st.freezes,
                    st.answered,
                    st.correct,
                )
                for user_id, st in settlement.streaks.items()
            ],
        )
        await split_full_blocks(conn)
        if settlement.reviews:
            await _save_card_reviews(conn, round_, settlement)

    async def reveal_tally(self, round_id: int, *, first_correct: int, streaks: int) -> RevealTally:
        """Count a revealed round's results on the reader, outside the write lock."""
        reader = self.db.reader
        counts: dict[str, int] = {}
        correct = 0
        async with reader.execute(
            "SELECT choice, COUNT(*), SUM(correct) FROM answers WHERE round_id = ? GROUP BY choice",
            (round_id,),
        ) as cursor:
            async for r in cursor:
                counts[r[0]] = int(r[1])
                correct += int(r[2] or 0)
        async with reader.execute(
            "SELECT u.display_name, u.external_id FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id = ? AND a.correct = 1 ORDER BY a.answered_at, a.user_id LIMIT ?",
            (round_id, first_correct),
        ) as cursor:
            first = tuple([r[0] or r[1] async for r in cursor])
        async with reader.execute(
            "SELECT COALESCE(NULLIF(u.display_name, ''), u.external_id) AS name, st.current "
            "FROM answers a JOIN rounds r ON r.id = a.round_id "
            "JOIN streaks st ON st.space_id = r.space_id AND st.user_id = a.user_id "
            "JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id = ? AND st.current >= 2 ORDER BY st.current DESC, name LIMIT ?",
            (round_id, streaks),
        ) as cursor:
            on_streak = tuple([(str(r[0]), int(r[1])) async for r in cursor])
        return RevealTally(counts, correct, first, on_streak)

    async def _streak_states(
        self, conn: Connection, space_id: int, user_ids: list[int]
    ) -> dict[int, StreakState]:
        states = {user_id: StreakState() for user_id in user_ids}
        for part in chunks(sorted(user_ids)):
            async with conn.execute(
                "SELECT user_id, current, best, last_day, freezes, answered, correct FROM streaks "  # noqa: S608
                f"WHERE space_id = ? AND user_id IN ({placeholders(len(part))})",
                (space_id, *part),
            ) as cursor:
                async for r in cursor:
                    states[int(r[0])] = streak_from_row(r[1:])
        return states


def streak_from_row(r: Sequence[object]) -> StreakState:
    current, best, last_day, freezes, answered, correct = r
    return StreakState(
        current=int(current),  # type: ignore[call-overload]
        best=int(best),  # type: ignore[call-overload]
        last_day=date.fromisoformat(str(last_day)) if last_day else None,
        freezes=int(freezes),  # type: ignore[call-overload]
        answered=int(answered),  # type: ignore[call-overload]
        correct=int(correct),  # type: ignore[call-overload]
    )


async def _save_card_reviews(conn: Connection, round_: Round, settlement: Settlement) -> None:
    """Move each answerer's card of this question, from the card as stored now."""
    question = round_.question
    keys = [(user_id, question.id) for user_id in settlement.reviews]
    cards = await load_cards(conn, keys)
    await save_reviews(
        conn,
        [
            ReviewWrite(
                user_id,
                question.id,
                question.topic,
                review.apply(cards.get((user_id, question.id))),
                review.grade,
                review.source,
                review.at,
            )
            for user_id, review in settlement.reviews.items()
        ],
    )


async def _round_states(conn: Connection, round_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    states: dict[int, tuple[str, datetime]] = {}
    for part in chunks(round_ids):
        async with conn.execute(
            "SELECT id, status, reveals_at, scored_upto IS NOT NULL FROM rounds "  # noqa: S608
            f"WHERE id IN ({placeholders(len(part))}) ORDER BY id /*pg: FOR SHARE*/",
            part,
        ) as cursor:
            async for row in cursor:
                status = _REVEALING if row[3] and row[1] in _ANSWERABLE else row[1]
                states[int(row[0])] = (status, from_db(row[2]))
    return states


async def _insert_answers(
    conn: Connection, fresh: dict[tuple[int, int], tuple[int, AnswerSubmission]]
) -> set[tuple[int, int]]:
    """Insert every row that is not there yet; returns the keys inserted.

    Rows go in key order, so two processes inserting overlapping batches on
    PostgreSQL take the row locks in one order and cannot deadlock.
    """
    rows = [
        (round_id, user_id, sub.choice, to_db(sub.answered_at))
        for (round_id, user_id), (_, sub) in sorted(fresh.items(), key=lambda item: item[0])
    ]
    inserted: set[tuple[int, int]] = set()
    for part in chunks(rows, ANSWERS_PER_INSERT):
        async with conn.execute(
            "INSERT INTO answers (round_id, user_id, choice, answered_at) "  # noqa: S608
            f"VALUES {placeholders(len(part), width=4)} "
            "ON CONFLICT (round_id, user_id) DO NOTHING RETURNING round_id, user_id",
            [value for row in part for value in row],
        ) as cursor:
            async for row in cursor:
                inserted.add((int(row[0]), int(row[1])))
    return inserted


async def _taken_choices(
    conn: Connection, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    by_round: dict[int, list[int]] = {}
    for round_id, user_id in keys:
        by_round.setdefault(round_id, []).append(user_id)
    taken: dict[tuple[int, int], str] = {}
    for round_id, users in by_round.items():
        for part in chunks(sorted(users)):
            async with conn.execute(
                "SELECT user_id, choice FROM answers WHERE round_id = ? "  # noqa: S608
                f"AND user_id IN ({placeholders(len(part))})",
                (round_id, *part),
            ) as cursor:
                async for row in cursor:
                    taken[(round_id, int(row[0]))] = row[1]
    return taken
