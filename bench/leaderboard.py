"""Leaderboard: top 10 plus the caller's rank, for week, month and all time.

One space with U users and A answers spread over the last 365 days (a fifth of
the users are regulars who give most of the answers, as in a real team). The
real path is LeaderboardService.leaderboard, which reads the materialised
``scores`` table through its rank index. The baseline computes the same top 10
and the same rank with a GROUP BY over the answers, in the same run, and the
two must agree on who is in the top 10.

The first 362 days are written with bulk SQL rather than by revealing them
one at a time (that would take many minutes): ``scores`` is filled with
exactly the sums the reveal keeps (points, correct, answered, and the time the
total was reached), for the space-wide scope the commands read. The last
three days are played through the real path (post, answers through group
commit, the stepped reveal), so the board the benchmark reads is the one
production leaves behind, tie blocks included. The bench runs no ANALYZE,
because the bot does not.

Rank alone (``score_row``, the caller's line) is timed for random callers and
for callers inside the period's largest tie (thousands on the same total),
whose rank counts the tied users who got there first.

    python bench/leaderboard.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import time_machine
from common import Figure, cli, percentile

from bot import process
from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import ChannelRef, Period, UserRef
from bot.core.periods import keys_for, period_key
from bot.core.timeutil import local_date
from bot.storage.database import to_db
from tests.helpers import RecordingPlatform, small_bank

SEED = 7
SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
CHANNEL = ChannelRef("test", "bench", "bench")
DAYS = 365
REAL_DAYS = 3  # the last days, played through post -> answer -> reveal
REGULAR_SHARE = 0.2  # of users, who give
REGULAR_ANSWERS = 0.73  # of the answers
QUERIES = 300  # leaderboard calls timed per period
BASELINE_RUNS = 5


async def _build(
    runtime: Runtime,
    users: int,
    answers: int,
    rng: random.Random,
    traveller: time_machine.Traveller,
) -> list[int]:
    """Fill the database; returns the user keys."""
    services = runtime.services
    await services.schedules.setup(CHANNEL, at="09:00", timezone="UTC")
    today = local_date(services.clock.now(), "UTC")
    first = today - timedelta(days=DAYS - 1)
    per_day = answers // DAYS
    regulars = int(users * REGULAR_SHARE)
    from_regulars = min(regulars, int(per_day * REGULAR_ANSWERS))
    async with runtime.db.write() as conn:
        await conn.execute("PRAGMA defer_foreign_keys = ON")
        await conn.executemany(
            "INSERT INTO users (platform, external_id, display_name) VALUES ('test', ?, ?)",
            [(str(i), f"user{i}") for i in range(users)],
        )
        async with conn.execute("SELECT id FROM users WHERE platform = 'test' ORDER BY id") as cur:
            keys = [int(row[0]) for row in await cur.fetchall()]
        async with conn.execute(
            "SELECT s.id, c.id FROM spaces s JOIN channels c ON c.space_id = s.id "
            "WHERE s.external_id = ? AND c.external_id = ?",
            (CHANNEL.space, CHANNEL.channel),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        space_id, channel_id = int(row[0]), int(row[1])
        await conn.execute(
            "CREATE TEMP TABLE round_periods (round_id INTEGER PRIMARY KEY, week TEXT, month TEXT)"
        )
        for offset in range(DAYS - REAL_DAYS):
            day = first + timedelta(days=offset)
            posted = datetime.combine(day, clock_time(9), UTC)
            cursor = await conn.execute(
                "INSERT INTO rounds (space_id, channel_id, kind, round_date, timezone, "
                "question_id, question, status, posted_at, reveals_at, revealed_at) "
                "VALUES (?, ?, 'extra', ?, 'UTC', 'bench', '{}', 'revealed', ?, ?, ?)",
                (
                    space_id,
                    channel_id,
                    day.isoformat(),
                    to_db(posted),
                    to_db(posted + timedelta(hours=1)),
                    to_db(posted + timedelta(hours=1)),
                ),
            )
            round_id = cursor.lastrowid
            week, month, _ = keys_for(day)
            await conn.execute(
                "INSERT INTO temp.round_periods VALUES (?, ?, ?)", (round_id, week, month)
            )
            who = rng.sample(range(regulars), from_regulars) + rng.sample(
                range(regulars, users), per_day - from_regulars
            )
            rows = []
            for index in who:
                correct = rng.random() < 0.6
                seconds = rng.randrange(3600)
                bonus = 5 - seconds * 5 // 3600
                rows.append(
                    (
                        round_id,
                        keys[index],
                        "a" if correct else "b",
                        to_db(posted + timedelta(seconds=seconds)),
                        int(correct),
                        10 + bonus if correct else 0,
                    )
                )
            await conn.executemany(
                "INSERT INTO answers (round_id, user_id, choice, answered_at, correct, points) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        for column in ("rp.week", "rp.month", "'all'"):
            await conn.execute(
                "INSERT INTO scores (space_id, channel_id, period, user_id, points, correct, "
                f"answered, reached_at) SELECT ?, 0, {column}, a.user_id, SUM(a.points), "
                "SUM(a.correct), COUNT(*), COALESCE(MAX(CASE WHEN a.points > 0 THEN "
                "a.answered_at END), MIN(a.answered_at)) FROM answers a "
                "JOIN temp.round_periods rp ON rp.round_id = a.round_id "
                f"GROUP BY {column}, a.user_id",
                (space_id,),
            )
        await conn.execute("DROP TABLE temp.round_periods")
    for offset in range(DAYS - REAL_DAYS, DAYS):
        day = first + timedelta(days=offset)
        await _play_day(runtime, day, per_day, regulars, from_regulars, users, rng, traveller)
    traveller.move_to(SUNDAY_EVENING)
    return keys


async def _play_day(
    runtime: Runtime,
    day: date,
    per_day: int,
    regulars: int,
    from_regulars: int,
    users: int,
    rng: random.Random,
    traveller: time_machine.Traveller,
) -> None:
    """One day through the bot's own path: post, a burst of answers, the reveal."""
    rounds = runtime.services.rounds
    traveller.move_to(datetime.combine(day, clock_time(9), UTC))
    round_ = await rounds.post_now(CHANNEL)
    question = round_.question
    wrong = [x for x in question.letters() if x != question.answer]
    who = rng.sample(range(regulars), from_regulars) + rng.sample(
        range(regulars, users), per_day - from_regulars
    )
    for start in range(0, len(who), 5000):
        await asyncio.gather(
            *(
                rounds.answer(
                    round_.id,
                    UserRef("test", str(index), f"user{index}"),
                    question.answer if rng.random() < 0.6 else rng.choice(wrong),
                )
                for index in who[start : start + 5000]
            )
        )
    traveller.move_to(datetime.combine(day, clock_time(9, 30), UTC))
    summary = await rounds.reveal(round_.id)
    assert summary is not None and summary.total == per_day


_BASELINE_TOTALS = (
    "WITH totals AS (SELECT a.user_id AS user_id, SUM(a.points) AS points, "
    "COALESCE(MAX(CASE WHEN a.points > 0 THEN a.answered_at END), MIN(a.answered_at)) "
    "AS reached_at FROM answers a JOIN rounds r ON r.id = a.round_id "
    "WHERE r.space_id = ? AND r.round_date BETWEEN ? AND ? GROUP BY a.user_id) "
)


async def _baseline(
    runtime: Runtime, space_id: int, since: date, until: date, caller: int
) -> tuple[list[int], int]:
    """The same answer, aggregated from the answers on every call."""
    conn = runtime.db.reader
    span = (space_id, since.isoformat(), until.isoformat())
    async with conn.execute(
        _BASELINE_TOTALS
        + "SELECT user_id FROM totals ORDER BY points DESC, reached_at, user_id LIMIT 10",
        span,
    ) as cursor:
        top = [int(row[0]) for row in await cursor.fetchall()]
    async with conn.execute(
        _BASELINE_TOTALS + "SELECT COUNT(*) FROM totals t, totals me WHERE me.user_id = ? AND "
        "(t.points > me.points OR (t.points = me.points AND (t.reached_at < me.reached_at "
        "OR (t.reached_at = me.reached_at AND t.user_id < me.user_id))))",
        (*span, caller),
    ) as cursor:
        row = await cursor.fetchone()
    return top, 1 + int(row[0]) if row else 0


def _span(period: Period, today: date) -> date:
    if period is Period.WEEK:
        return today - timedelta(days=today.weekday())
    if period is Period.MONTH:
        return today.replace(day=1)
    return date(1970, 1, 1)


async def _measure(users: int, answers: int) -> list[Figure]:
    rng = random.Random(SEED)
    # A Sunday evening: the week and the month are nearly full, the largest
    # case for the GROUP BY baseline and the usual time to look at the board.
    travel = time_machine.travel(SUNDAY_EVENING, tick=True)
    traveller = travel.start()
    try:
        return await _measure_at(users, answers, rng, traveller)
    finally:
        travel.stop()


async def _measure_at(
    users: int, answers: int, rng: random.Random, traveller: time_machine.Traveller
) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database=DatabaseSettings(path=Path(folder) / "bench.sqlite3"))
        runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(SEED))
        runtime.platforms["test"] = RecordingPlatform()
        await runtime.start()
        figures: list[Figure] = []
        try:
            began = time.perf_counter()
            keys = await _build(runtime, users, answers, rng, traveller)
            figures.append(
                Figure(
                    "build_s",
                    time.perf_counter() - began,
                    "s",
                    note=f"{users} users, {answers} answers",
                )
            )
            service = runtime.services.boards
            today = local_date(runtime.services.clock.now(), "UTC")
            space_id = keys and await _space_id(runtime)
            for period in (Period.WEEK, Period.MONTH, Period.ALL):
                name = period.value
                callers = [rng.randrange(users) for _ in range(QUERIES)]
                latencies = []
                board: Any = None
                for index in callers:
                    caller = UserRef("test", str(index), f"user{index}")
                    start = time.perf_counter()
                    board = await service.leaderboard(CHANNEL, caller, period)
                    latencies.append((time.perf_counter() - start) * 1000)
                assert board is not None and len(board.rows) == 10, period
                assert board.period_key == period_key(period, today)
                baseline = []
                top: list[int] = []
                rank = 0
                for index in callers[:BASELINE_RUNS]:
                    start = time.perf_counter()
                    top, rank = await _baseline(
                        runtime, space_id, _span(period, today), today, keys[index]
                    )
                    baseline.append((time.perf_counter() - start) * 1000)
                last = UserRef("test", str(callers[BASELINE_RUNS - 1]), "")
                mine = (await service.leaderboard(CHANNEL, last, period)).caller
                assert top == [row.user_id for row in board.rows], f"{name}: top 10 differs"
                assert mine is None or mine.rank == rank, f"{name}: rank {mine} != {rank}"
                p50 = percentile(latencies, 50)
                figures += [
                    Figure(f"leaderboard_p50_ms[{name}]", p50, "ms"),
                    Figure(f"leaderboard_p99_ms[{name}]", percentile(latencies, 99), "ms", "< 10"),
                    Figure(f"group_by_p50_ms[{name}]", percentile(baseline, 50), "ms"),
                    Figure(
                        f"speedup_vs_group_by[{name}]", percentile(baseline, 50) / p50, "x", ">= 50"
                    ),
                ]
                figures += await _rank_figures(runtime, space_id, keys, period, today, rng)
        finally:
            await runtime.close()
    return figures


async def _rank_figures(
    runtime: Runtime,
    space_id: int,
    keys: list[int],
    period: Period,
    today: date,
    rng: random.Random,
) -> list[Figure]:
    """The caller's rank alone, for anyone and for callers inside the largest tie."""
    key = period_key(period, today)
    async with runtime.db.reader.execute(
        "SELECT points, users FROM score_levels WHERE space_id = ? AND channel_id = 0 "
        "AND period = ? ORDER BY users DESC LIMIT 1",
        (space_id, key),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    tie_points, tie_size = int(row[0]), int(row[1])
    async with runtime.db.reader.execute(
        "SELECT u.external_id FROM scores sc JOIN users u ON u.id = sc.user_id "
        "WHERE sc.space_id = ? AND sc.channel_id = 0 AND sc.period = ? AND sc.points = ?",
        (space_id, key, tie_points),
    ) as cursor:
        tied = [str(r[0]) async for r in cursor]
    who = {
        "any": [str(rng.randrange(len(keys))) for _ in range(QUERIES)],
        "tied": [rng.choice(tied) for _ in range(QUERIES)],
    }
    figures = []
    for label, callers in who.items():
        latencies = []
        for external_id in callers:
            caller = UserRef("test", external_id, "")
            start = time.perf_counter()
            await runtime.store.score_row(CHANNEL.space_key, None, key, caller)
            latencies.append((time.perf_counter() - start) * 1000)
        note = f"{tie_size:,} users on {tie_points} points" if label == "tied" else ""
        figures.append(
            Figure(
                f"rank_p99_ms[{period.value}, {label}]",
                percentile(latencies, 99),
                "ms",
                "< 2",
                note=note,
            )
        )
    # Deep inside the tie, the rank still equals the full GROUP BY's.
    for external_id in who["tied"][:3]:
        caller = UserRef("test", external_id, "")
        row_ = await runtime.store.score_row(CHANNEL.space_key, None, key, caller)
        assert row_ is not None
        _, want = await _baseline(runtime, space_id, _span(period, today), today, row_.user_id)
        assert row_.rank == want, f"{period.value}: tied rank {row_.rank} != {want}"
    return figures


async def _space_id(runtime: Runtime) -> int:
    async with runtime.db.reader.execute(
        "SELECT id FROM spaces WHERE platform = ? AND external_id = ?", CHANNEL.space_key
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def measure(quick: bool) -> list[Figure]:
    users, answers = (5_000, 100_000) if quick else (100_000, 2_000_000)
    return process.run(_measure(users, answers))


if __name__ == "__main__":
    cli(__doc__ or "", measure)
