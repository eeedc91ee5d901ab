"""Scale-out: several bot processes on one PostgreSQL database, against SQLite.

Two questions, each answered against SQLite in the same run:

* **Answer bursts.** N returning users answer one open round at the same
  moment, through RoundService.answer and group commit. On PostgreSQL the N
  users are dealt out (user i to process i mod P) to P = 1, 2 and 4 OS
  processes, each with its own event loop and its own runtime on the one
  shared database; on SQLite one process takes them all, as SQLite allows one
  writer. The processes are started and warmed up first (each answers once
  with a user of its own, so the round is cached and the pool connected, as
  in a bot that has been running), then released together by a barrier. The
  figure is the answers accepted by all processes over the wall time from the
  first release to the last acknowledgement; the median of a few runs, each
  on a fresh copy of the same database. After each run the answers table is
  read back: every accepted answer must be there exactly once with its
  choice, and nothing else, or the bench fails.
* **Leaderboard at scale.** U users with scores for this week, this month and
  all time, written with bulk SQL in one transaction (on SQLite the ``scores``
  rows go through the triggers the reveal fires; on PostgreSQL those are off
  for the fill and the per-total and per-block counts are written by the
  migrations' own backfill statements), then big ties are split as the reveal
  splits them. LeaderboardService.leaderboard is then timed for random
  callers who have a score in the period, so every call computes a rank, and
  every board's top 10 and the caller's rank are checked against a sort of the
  generated rows. PostgreSQL's tables are ANALYZEd after the fill, as its
  autovacuum would have done long before in production; SQLite's are not, as
  the bot runs no ANALYZE.

PostgreSQL is the server tests/postgres.py provides: the one in
STUDYBOT_TEST_POSTGRES_URL, or a throwaway cluster from Debian's binaries,
which runs with fsync and synchronous_commit off. SQLite's default
synchronous=NORMAL in WAL mode does not flush at commit either, so neither side
pays for a disk flush per commit; both figures measure the work, not a disk.
With only a couple of cores the server, the bot processes and the bench share
them, so more processes may not mean more answers per second here; the
figures say what this machine does.

    python bench/scale.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Figure, cli, cores, percentile

import tests.postgres as pg
from bot import process
from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import AnswerOutcome, ChannelRef, Period, UserRef
from bot.core.periods import period_key
from bot.storage.database import to_db
from bot.storage.opening import open_database
from bot.storage.ties import split_full_blocks
from tests.helpers import RecordingPlatform, small_bank

SEED = 13
CHANNEL = ChannelRef("test", "bench", "bench")
EARLIER = ChannelRef("test", "bench", "earlier")
"""Where the returning users answered before, so the burst's channel is free
for its round without revealing the earlier one (a reveal of N answers takes
seconds on PostgreSQL and is not what this bench measures)."""
PROCESS_COUNTS = (1, 2, 4)
FIRST_USER = 900_000
FIRST_WARM_UP_USER = 800_000
BARRIER_TIMEOUT_S = 300
"""How long a worker waits for the others at the barrier (they start and
import in parallel, which takes seconds, not minutes); a worker that crashed
breaks the barrier at once."""
SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
"""The leaderboard's fixed "now": the week and the month are nearly over."""
WARM_UP_CALLS = 20


@dataclass(frozen=True, slots=True)
class Target:
    """Where a worker's runtime keeps its data: a PostgreSQL URL or a SQLite file."""

    url: str | None = None
    path: str | None = None

    @property
    def backend(self) -> str:
        return "pg" if self.url else "sqlite"

    def settings(self) -> Settings:
        if self.url is not None:
            return Settings(database=DatabaseSettings(url=self.url))
        assert self.path is not None
        return Settings(database=DatabaseSettings(path=Path(self.path)))


@dataclass(frozen=True, slots=True)
class Share:
    """What one worker reports: its clock at release and at its last
    acknowledgement, and who it had accepted with which letter."""

    start: float
    end: float
    accepted: list[tuple[str, str]]
    refused: dict[str, int]
    warm_up: tuple[str, str]


@dataclass(frozen=True, slots=True)
class Burst:
    round_id: int
    letters: list[str]
    """The letter user i sends, fixed by the seed, the same on every backend."""
    warm_up_letter: str


# ---- the PostgreSQL server ---------------------------------------------


def postgres_server() -> AbstractContextManager[str]:
    return pg.server_for("bench/scale.py")


def _new_name() -> str:
    name = f"studybot_bench_{uuid.uuid4().hex[:16]}"
    assert pg._NAME.match(name)  # an identifier cannot be a parameter; this one is ours
    return name


async def _create_database(server_url: str, template: str | None = None) -> str:
    """A new empty database (or a copy of ``template``'s) next to
    ``server_url``'s; returns its URL."""
    import asyncpg

    name = _new_name()
    admin = await asyncpg.connect(server_url)
    try:
        if template is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            source = template.rsplit("/", 1)[-1]
            assert pg._NAME.match(source)
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        await admin.close()
    return pg.with_database(server_url, name)


@asynccontextmanager
async def _database(server_url: str, template: str | None = None) -> AsyncIterator[str]:
    url = await _create_database(server_url, template)
    try:
        yield url
    finally:
        await pg.drop(server_url, url)


# ---- answer bursts -----------------------------------------------------


def _person(index: int) -> UserRef:
    return UserRef("test", str(FIRST_USER + index), f"user{index}")


def _warm_up_person(worker: int) -> UserRef:
    return UserRef("test", str(FIRST_WARM_UP_USER + worker), f"warm{worker}")


async def _started(target: Target) -> Runtime:
    runtime = await build_runtime(target.settings(), bank=small_bank(), rng=random.Random(SEED))
    runtime.platforms["test"] = RecordingPlatform()
    await runtime.start()
    return runtime


async def _prepare(target: Target, users: int) -> Burst:
    """The database every run starts from: N users who answered an earlier
    round, and the open round the burst answers."""
    runtime = await _started(target)
    try:
        rounds = runtime.services.rounds
        earlier = await rounds.post_now(EARLIER)
        people = [_person(i) for i in range(users)]
        people += [_warm_up_person(w) for w in range(max(PROCESS_COUNTS))]
        letter = earlier.question.letters()[0]
        for start in range(0, len(people), 5000):
            results = await asyncio.gather(
                *(rounds.answer(earlier.id, p, letter) for p in people[start : start + 5000])
            )
            assert all(r.outcome is AnswerOutcome.ACCEPTED for r in results)
        round_ = await rounds.post_now(CHANNEL)
        rng = random.Random(SEED)
        letters = [rng.choice(round_.question.letters()) for _ in range(users)]
        return Burst(round_.id, letters, round_.question.letters()[0])
    finally:
        await runtime.close()


def _worker(
    target: Target,
    worker: int,
    workers: int,
    burst: Burst,
    barrier: Any,
    results: Any,
) -> None:
    """One bot process: its own event loop and runtime, answering its share."""
    try:
        share = process.run(_answer_share(target, worker, workers, burst, barrier))
    except BaseException as exc:
        barrier.abort()
        results.put((worker, f"{type(exc).__name__}: {exc}"))
        raise
    results.put((worker, share))


async def _answer_share(
    target: Target, worker: int, workers: int, burst: Burst, barrier: Any
) -> Share:
    runtime = await _started(target)
    try:
        rounds = runtime.services.rounds
        warm_up = _warm_up_person(worker)
        first = await rounds.answer(burst.round_id, warm_up, burst.warm_up_letter)
        assert first.outcome is AnswerOutcome.ACCEPTED, first.outcome
        mine = range(worker, len(burst.letters), workers)
        people = [_person(i) for i in mine]
        letters = [burst.letters[i] for i in mine]
        barrier.wait(BARRIER_TIMEOUT_S)  # blocks the loop, which has nothing else to do
        start = time.perf_counter()
        outcomes = await asyncio.gather(
            *(rounds.answer(burst.round_id, p, x) for p, x in zip(people, letters, strict=True)),
            return_exceptions=True,
        )
        end = time.perf_counter()
        accepted: list[tuple[str, str]] = []
        refused: Counter[str] = Counter()
        for person, letter, outcome in zip(people, letters, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                refused[type(outcome).__name__] += 1
            elif outcome.outcome is AnswerOutcome.ACCEPTED:
                accepted.append((person.external_id, letter))
            else:
                refused[outcome.outcome.value] += 1
        warm = (warm_up.external_id, burst.warm_up_letter)
        return Share(start, end, accepted, dict(refused), warm)
    finally:
        await runtime.close()


def _run_burst(target: Target, workers: int, burst: Burst) -> list[Share]:
    """Start the workers, let them go together, and collect their reports."""
    context = multiprocessing.get_context("forkserver")
    # Fresh processes (no loop or pool inherited), forked from one server that
    # has done the slow imports once, so starting four costs little more than one.
    context.set_forkserver_preload(["bot.app", "bot.process", "tests.helpers", "asyncpg"])
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(target, worker, workers, burst, barrier, results),
            name=f"scale-worker-{worker}",
        )
        for worker in range(workers)
    ]
    for proc in processes:
        proc.start()
    reports: dict[int, Share | str] = {}
    try:
        while len(reports) < workers:
            try:
                worker, report = results.get(timeout=BARRIER_TIMEOUT_S)
            except Exception:
                raise RuntimeError(f"workers did not report: {_exit_codes(processes)}") from None
            reports[worker] = report
    finally:
        for proc in processes:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
                proc.join()
    failed = {worker: r for worker, r in reports.items() if isinstance(r, str)}
    if failed:
        raise RuntimeError(f"{target.backend} burst with {workers} process(es) failed: {failed}")
    return [r for _, r in sorted(reports.items()) if isinstance(r, Share)]


def _exit_codes(processes: list[Any]) -> str:
    return ", ".join(f"{p.name}={p.exitcode}" for p in processes)


async def _verify(target: Target, burst: Burst, shares: list[Share]) -> None:
    """Every accepted answer is in the database exactly once, with its letter,
    and no other row is: the acknowledgement meant "committed"."""
    users = len(burst.letters)
    refused: Counter[str] = Counter()
    for share in shares:
        refused.update(share.refused)
    accepted = [row for share in shares for row in share.accepted]
    if refused or len(accepted) != users:
        raise AssertionError(
            f"{target.backend}: {len(accepted)} of {users} distinct users' answers to an "
            f"open round were accepted; the others: {dict(refused)}"
        )
    expected = Counter(accepted + [share.warm_up for share in shares])
    db = await open_database(target.settings(), migrate=False)
    try:
        rows = await db.reader.execute_fetchall(
            "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id = ?",
            (burst.round_id,),
        )
        stored = Counter((str(r[0]), str(r[1])) for r in rows)
    finally:
        await db.close()
    doubled = {key: n for key, n in stored.items() if n > 1}
    missing = expected - stored
    extra = stored - expected
    if doubled or missing or extra:
        raise AssertionError(
            f"{target.backend} with {len(shares)} process(es): {len(doubled)} answers stored "
            f"more than once, {sum(missing.values())} accepted but not stored "
            f"(e.g. {list(missing)[:3]}), {sum(extra.values())} stored but never accepted "
            f"(e.g. {list(extra)[:3]})"
        )


def _rate(shares: list[Share]) -> float:
    wall = max(s.end for s in shares) - min(s.start for s in shares)
    return sum(len(s.accepted) for s in shares) / wall


def _copy_sqlite(source: Path, folder: Path) -> Path:
    """A consistent copy of the prepared SQLite file (its WAL included)."""
    copy = folder / f"run-{uuid.uuid4().hex[:8]}.sqlite3"
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return copy


def burst_figures(server_url: str, users: int, repeats: int) -> list[Figure]:
    rates: dict[str, list[float]] = {"sqlite_1proc": []}
    rates.update({f"pg_{n}proc": [] for n in PROCESS_COUNTS})
    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.sqlite3"
        sqlite_burst = process.run(_prepare(Target(path=str(prepared)), users))
        template = process.run(_create_database(server_url))
        try:
            pg_burst = process.run(_prepare(Target(url=template), users))
            if pg_burst.letters != sqlite_burst.letters:
                raise AssertionError("the two databases hold different bursts")
            # Interleaved, so a slow spell of the machine touches every setting alike.
            for _ in range(repeats):
                target = Target(path=str(_copy_sqlite(prepared, Path(folder))))
                shares = _run_burst(target, 1, sqlite_burst)
                process.run(_verify(target, sqlite_burst, shares))
                rates["sqlite_1proc"].append(_rate(shares))
                Path(target.path or "").unlink()
                for workers in PROCESS_COUNTS:
                    url = process.run(_create_database(server_url, template))
                    try:
                        target = Target(url=url)
                        shares = _run_burst(target, workers, pg_burst)
                        process.run(_verify(target, pg_burst, shares))
                        rates[f"pg_{workers}proc"].append(_rate(shares))
                    finally:
                        process.run(pg.drop(server_url, url))
        finally:
            process.run(pg.drop(server_url, template))
    median = {name: statistics.median(values) for name, values in rates.items()}
    note = f"{users:,} answers, median of {repeats}"
    figures = [
        Figure(f"answers_per_s_{name}", rate, "answers/s", note=note)
        for name, rate in median.items()
    ]
    sqlite_rate = median["sqlite_1proc"]
    figures += [
        Figure(f"pg_{n}proc_vs_sqlite", median[f"pg_{n}proc"] / sqlite_rate, "x")
        for n in PROCESS_COUNTS
    ]
    figures.append(
        Figure(
            f"pg_{PROCESS_COUNTS[-1]}proc_vs_pg_1proc",
            median[f"pg_{PROCESS_COUNTS[-1]}proc"] / median["pg_1proc"],
            "x",
            note=f"{cores()} cores share the server and the processes",
        )
    )
    return figures


# ---- leaderboard at scale ----------------------------------------------


class FixedClock:
    def now(self) -> datetime:
        return SUNDAY_EVENING


@dataclass(frozen=True, slots=True)
class Scores:
    """The generated rows of one period: (user index, points, correct,
    answered, reached_at) per user who has a score in it."""

    key: str
    rows: list[tuple[int, int, int, int, str]]


def _generate(users: int, rng: random.Random) -> dict[Period, Scores]:
    """Scores as a season leaves them: everyone has an all-time total, fewer
    a month's, fewer still a week's; most totals are small, so the low ones
    are shared by thousands (the big ties the rank has to count through)."""
    today = SUNDAY_EVENING.date()
    spans = {Period.WEEK: (7, 0.3, 7), Period.MONTH: (29, 0.6, 29), Period.ALL: (365, 1.0, 365)}
    out: dict[Period, Scores] = {}
    for period, (days, share, most) in spans.items():
        rows = []
        for index in range(users):
            if rng.random() >= share:
                continue
            answered = min(most, 1 + int(rng.expovariate(5 / most)))
            correct = int(answered * rng.uniform(0.3, 0.9) + 0.5)
            points = 10 * correct + sum(rng.randrange(6) for _ in range(min(correct, 8)))
            seconds = rng.randrange(days * 86_400)
            reached = to_db(SUNDAY_EVENING - timedelta(seconds=seconds))
            rows.append((index, points, correct, answered, reached))
        out[period] = Scores(period_key(period, today), rows)
    return out


async def _fill(
    runtime: Runtime, users: int, generated: dict[Period, Scores], *, postgres: bool
) -> list[int]:
    """Users and scores, written with bulk SQL in one transaction; returns the
    user keys. ``score_levels`` and ``tie_blocks`` end up as the reveal's
    triggers and block splits leave them (the ranks checked later prove it)."""
    await runtime.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC")
    db = runtime.db
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO users (platform, external_id, display_name) VALUES ('test', ?, ?)",
            [(str(i), f"user{i}") for i in range(users)],
        )
    rows = await db.reader.execute_fetchall(
        "SELECT id, external_id FROM users WHERE platform = 'test'"
    )
    by_external = {str(r[1]): int(r[0]) for r in rows}
    keys = [by_external[str(i)] for i in range(users)]
    space = await db.reader.execute_fetchall(
        "SELECT id FROM spaces WHERE platform = ? AND external_id = ?", CHANNEL.space_key
    )
    space_id = int(next(iter(space))[0])
    rows = [
        (space_id, scores.key, keys[i], points, correct, answered, reached)
        for scores in generated.values()
        for i, points, correct, answered, reached in scores.rows
    ]
    async with db.write() as conn:
        if postgres:
            # Row by row, PostgreSQL's triggers update the same few level and
            # block rows over and over in one transaction, which took minutes
            # for 100,000 users; the migrations' own backfill statements give
            # the same rows in one pass each.
            await conn.execute("ALTER TABLE scores DISABLE TRIGGER USER")
        await conn.executemany(
            "INSERT INTO scores (space_id, channel_id, period, user_id, points, correct, "
            "answered, reached_at) VALUES (?, 0, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if postgres:
            await conn.execute(
                "INSERT INTO score_levels (space_id, channel_id, period, points, users) "
                "SELECT space_id, channel_id, period, points, COUNT(*) FROM scores "
                "GROUP BY space_id, channel_id, period, points"
            )
            await conn.execute(
                "INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, "
                "lo_user, users) SELECT space_id, channel_id, period, points, '', 0, COUNT(*) "
                "FROM scores GROUP BY space_id, channel_id, period, points"
            )
            await conn.execute("ALTER TABLE scores ENABLE TRIGGER USER")
        # As the reveal does after each step: ties over the limit become blocks.
        await split_full_blocks(conn)
        if postgres:
            # What autovacuum would long have done on a live server.
            await conn.execute("ANALYZE")
    return keys


def _expected(scores: Scores, keys: list[int]) -> tuple[list[int], dict[int, int]]:
    """The top 10 user keys and every user's rank, by sorting the generated rows."""
    ordered = sorted(scores.rows, key=lambda r: (-r[1], r[4], keys[r[0]]))
    ranks = {row[0]: rank for rank, row in enumerate(ordered, start=1)}
    return [keys[row[0]] for row in ordered[:10]], ranks


async def _board_latencies(
    target: Target, users: int, queries: int, generated: dict[Period, Scores]
) -> dict[Period, list[float]]:
    runtime = await build_runtime(
        target.settings(), bank=small_bank(), clock=FixedClock(), rng=random.Random(SEED)
    )
    runtime.platforms["test"] = RecordingPlatform()
    try:
        keys = await _fill(runtime, users, generated, postgres=target.url is not None)
        service = runtime.services.boards
        rng = random.Random(SEED)
        latencies: dict[Period, list[float]] = {}
        for period, scores in generated.items():
            top, ranks = _expected(scores, keys)
            callers = [rng.choice(scores.rows)[0] for _ in range(WARM_UP_CALLS + queries)]
            timed: list[float] = []
            for n, index in enumerate(callers):
                caller = UserRef("test", str(index), f"user{index}")
                start = time.perf_counter()
                board = await service.leaderboard(CHANNEL, caller, period)
                elapsed = (time.perf_counter() - start) * 1000
                if n >= WARM_UP_CALLS:
                    timed.append(elapsed)
                got = [row.user_id for row in board.rows]
                if got != top or board.caller is None or board.caller.rank != ranks[index]:
                    raise AssertionError(
                        f"{target.backend} {period.value}: board {got} (want {top}), caller "
                        f"{index} ranked {board.caller and board.caller.rank} "
                        f"(want {ranks[index]})"
                    )
            latencies[period] = timed
        return latencies
    finally:
        await runtime.close()


def leaderboard_figures(server_url: str, users: int, queries: int) -> list[Figure]:
    generated = _generate(users, random.Random(SEED))
    with tempfile.TemporaryDirectory() as folder:
        target = Target(path=str(Path(folder) / "board.sqlite3"))
        sqlite = process.run(_board_latencies(target, users, queries, generated))
    url = process.run(_create_database(server_url))
    try:
        postgres = process.run(_board_latencies(Target(url=url), users, queries, generated))
    finally:
        process.run(pg.drop(server_url, url))
    figures = []
    for period in generated:
        name = f"{period.value},{users}"
        lite_p99, pg_p99 = percentile(sqlite[period], 99), percentile(postgres[period], 99)
        figures += [
            Figure(f"leaderboard_p50_ms_sqlite[{name}]", percentile(sqlite[period], 50), "ms"),
            Figure(f"leaderboard_p99_ms_sqlite[{name}]", lite_p99, "ms"),
            Figure(f"leaderboard_p50_ms_pg[{name}]", percentile(postgres[period], 50), "ms"),
            Figure(f"leaderboard_p99_ms_pg[{name}]", pg_p99, "ms"),
            Figure(
                f"leaderboard_p99_pg_vs_sqlite[{name}]",
                pg_p99 / lite_p99 if lite_p99 else math.nan,
                "x",
            ),
        ]
    return figures


def measure(quick: bool) -> list[Figure]:
    # The backends are chosen here, per target; an inherited URL would send
    # the SQLite runs to PostgreSQL.
    os.environ.pop("STUDYBOT_DATABASE_URL", None)
    answers, repeats = (1000, 1) if quick else (10_000, 5)
    board_users, queries = (10_000, 100) if quick else (100_000, 300)
    with postgres_server() as server_url:
        figures = burst_figures(server_url, answers, repeats)
        figures += leaderboard_figures(server_url, board_users, queries)
    return figures


if __name__ == "__main__":
    cli(__doc__ or "", measure)
