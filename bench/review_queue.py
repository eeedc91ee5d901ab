"""Review queue: building a heavy user's queue in a large database.

100,000 users hold 5,000,000 cards (quick: 2,000 users, 200,000 cards). A few
"heavy" users hold 5,000 cards each, over a synthetic bank of 6,000 questions
in 20 topics; everyone else holds a few dozen. Half the heavy users have a
third of their cards due; the other half have only 5 due, so their queue of 20
is mostly new questions from their weakest topics (both parts of the queue).

The real path is ``ReviewQueue.build`` (what ``/review`` and ``/drill`` call):
a range of the (user_id, due) index, the per-topic totals, and key probes for
new questions. The baseline, in the same run and for the same users, reads
every card of the user and works the same queue out in Python, which is what
the queue would cost without its indexes. Each user's queue is built once
untimed first, so the figures are for a user the bot has seen since it started
(their key cached), not the one-off first lookup. The database is filled with bulk
inserts (the cards' FSRS fields are plausible values, not replayed reviews).

    python bench/review_queue.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import Figure, cli, percentile

from bot import process
from bot.bank import QuestionBank
from bot.core.models import UserRef
from bot.core.questions import Difficulty, Kind, Question
from bot.core.reviews import ReviewService
from bot.srs import FsrsScheduler
from bot.storage import Database, SqlStore
from bot.storage.database import to_db
from bot.storage.reviews import DUE_CARDS_SQL
from tests.helpers import make_question

SEED = 7
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TOPICS = 20
PER_TOPIC = 300
HEAVY_CARDS = 5_000
QUEUE = 20
RUNS_PER_USER = 20
INSERT_CHUNK = 50_000


class FixedClock:
    def now(self) -> datetime:
        return NOW


def bench_bank() -> QuestionBank:
    questions: list[Question] = []
    levels = list(Difficulty)
    for t in range(TOPICS):
        for i in range(PER_TOPIC):
            qid, topic = f"t{t:02d}-q{i:03d}", f"topic-{t:02d}"
            if i % 5 == 4:  # a fifth are flashcards
                questions.append(
                    make_question(
                        qid, topic, "A model answer.", kind=Kind.OPEN, choices=(), explanation=""
                    )
                )
            else:
                questions.append(make_question(qid, topic, "a", difficulty=levels[i % 3]))
    return QuestionBank(questions)


def _fill(path: Path, bank: QuestionBank, users: int, cards: int, heavy: int) -> None:
    """Bulk-insert users, cards and the heavy users' topic totals (sqlite3, one
    transaction, cards in primary-key order so the table only appends)."""
    rng = random.Random(SEED)
    ids = [q.id for q in bank]
    topic_of = {q.id: q.topic for q in bank}
    # Preformatted instants: formatting 15 million datetimes would be most of the fill.
    past = sorted(to_db(NOW - timedelta(minutes=m)) for m in rng.sample(range(1, 90 * 1440), 4000))
    future = sorted(
        to_db(NOW + timedelta(minutes=m)) for m in rng.sample(range(1, 90 * 1440), 4000)
    )
    light = (cards - heavy * HEAVY_CARDS) // max(1, users - heavy)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, platform, external_id, display_name) VALUES (?, 'bench', ?, '')",
        (
            (
                i,
                str(i),
            )
            for i in range(1, users + 1)
        ),
    )
    batch: list[tuple[object, ...]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO cards (user_id, question_id, topic, state, step, stability, "
            "difficulty, due, last_review, mastered_until, reps, lapses) "
            "VALUES (?, ?, ?, 2, NULL, ?, 5.0, ?, ?, ?, 3, 0)",
            batch,
        )
        batch.clear()

    for user_id in range(1, users + 1):
        is_heavy = user_id <= heavy
        owned = sorted(rng.sample(ids, HEAVY_CARDS if is_heavy else light))
        # Heavy users 1, 3, 5...: a third due; 2, 4, 6...: five due.
        due_share = (1 / 3 if user_id % 2 else 0.0) if is_heavy else 0.3
        forced_due = set(rng.sample(range(len(owned)), 5)) if is_heavy and not user_id % 2 else ()
        for index, qid in enumerate(owned):
            due_now = index in forced_due or rng.random() < due_share
            due = rng.choice(past) if due_now else rng.choice(future)
            batch.append(
                (user_id, qid, topic_of[qid], rng.uniform(1, 60), due, rng.choice(past), due)
            )
            if len(batch) >= INSERT_CHUNK:
                flush()
    flush()
    conn.executemany(
        "INSERT INTO review_topics (user_id, topic, reviews, correct) VALUES (?, ?, ?, ?)",
        (
            (user_id, f"topic-{t:02d}", 300, rng.randrange(100, 300))
            for user_id in range(1, heavy + 1)
            for t in range(TOPICS)
        ),
    )
    conn.execute("COMMIT")
    conn.close()


async def _baseline(store: SqlStore, bank: QuestionBank, user: UserRef, user_id: int) -> int:
    """The same queue from a full read of the user's cards, worked out in Python."""
    now = to_db(NOW)
    async with store.db.reader.execute(
        "SELECT question_id, topic, due, mastered_until FROM cards WHERE user_id = ?",
        (user_id,),
    ) as cursor:
        rows = await cursor.fetchall()
    due = sorted((row[2], row[0]) for row in rows if row[2] <= now)[:QUEUE]
    held = {row[0] for row in rows}
    mastered: dict[str, int] = {}
    for row in rows:
        if row[3] is not None and row[3] > now:
            mastered[row[1]] = mastered.get(row[1], 0) + 1
    weakest = sorted(bank.topics(), key=lambda t: mastered.get(t, 0))
    fresh = [q.id for t in weakest[:3] for q in bank.filter(topics=[t]) if q.id not in held]
    return len(due) + len(fresh[: QUEUE - len(due)])


async def _measure(users: int, cards: int, heavy: int) -> list[Figure]:
    bank = bench_bank()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        await (await Database(path).open()).close()  # the schema, by the migrations
        began = time.perf_counter()
        await asyncio.to_thread(_fill, path, bank, users, cards, heavy)
        figures.append(
            Figure(
                "fill_s",
                time.perf_counter() - began,
                "s",
                note=f"{users:,} users, {cards:,} cards, {heavy} with {HEAVY_CARDS:,} each",
            )
        )
        figures.append(Figure("database_mb", path.stat().st_size / 1e6, "MB"))
        db = await Database(path).open()
        try:
            store = SqlStore(db)
            reviews = ReviewService(
                store=store,
                bank=bank,
                scheduler=FsrsScheduler(),
                clock=FixedClock(),
                rng=random.Random(SEED),
            )
            async with db.reader.execute(
                "EXPLAIN QUERY PLAN " + DUE_CARDS_SQL, (1, to_db(NOW), QUEUE)
            ) as cursor:
                plan = " ".join(str(row[-1]) for row in await cursor.fetchall())
            assert "cards_by_due" in plan, plan
            for label, parity in (("many due", 1), ("5 due", 0)):
                who = [u for u in range(1, heavy + 1) if u % 2 == parity]
                for user_id in who:  # warm: the user's key cached, as for anyone active
                    await reviews.queue.build(UserRef("bench", str(user_id)), NOW, QUEUE)
                fast: list[float] = []
                slow: list[float] = []
                for _ in range(RUNS_PER_USER):
                    for user_id in who:
                        user = UserRef("bench", str(user_id))
                        start = time.perf_counter()
                        items = await reviews.queue.build(user, NOW, QUEUE)
                        fast.append((time.perf_counter() - start) * 1000)
                        start = time.perf_counter()
                        size = await _baseline(store, bank, user, user_id)
                        slow.append((time.perf_counter() - start) * 1000)
                        assert len(items) == size == QUEUE
                due = sum(i.due is not None for i in items)
                p99, base = percentile(fast, 99), percentile(slow, 99)
                figures += [
                    Figure(
                        f"queue_p99_ms[{label}]",
                        p99,
                        "ms",
                        "< 10",
                        note=f"{HEAVY_CARDS:,} cards, {due} due + {QUEUE - due} new",
                    ),
                    Figure(f"queue_p50_ms[{label}]", percentile(fast, 50), "ms"),
                    Figure(f"full_scan_p99_ms[{label}]", base, "ms", note="baseline"),
                    Figure(f"speedup[{label}]", base / p99, "x", note="full scan p99 / queue p99"),
                ]
            figures.append(Figure("plan", 0, "", note=plan))
        finally:
            await db.close()
    return figures


def measure(quick: bool) -> list[Figure]:
    users, cards, heavy = (2_000, 200_000, 10) if quick else (100_000, 5_000_000, 100)
    return process.run(_measure(users, cards, heavy))


if __name__ == "__main__":
    cli(__doc__ or "", measure)
