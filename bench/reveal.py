"""Reveal: what one big round's reveal costs, and what it costs everyone else.

Three measurements, all through the public services (post -> answer -> reveal)
on a real SQLite file:

* **Big reveals.** A round with N answers (1,000 / 10,000 / 30,000) is
  revealed while 200 people in *another* channel answer their own round. The
  figures are the reveal's total time, the longest single hold of the write
  lock during it, and the p99 of the other channel's answers against the same
  200-answer burst with no reveal running (the baseline, in the same run).
* **A year of history.** One channel gets a round a day for a simulated year
  (clock moved by time-machine); the reveal's cost per answer (the median
  day) over the first 30 days is compared with the last 30, so an index or a
  cache that stops fitting the way the data grows shows up as a ratio above 1.

    python bench/reveal.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from common import Figure, cli, percentile

from bot import process
from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import AnswerOutcome, ChannelRef, UserRef
from tests.helpers import RecordingPlatform, small_bank

SEED = 3
BIG = ChannelRef("test", "bench", "big")
OTHER = ChannelRef("test", "other", "quiet")
OTHER_LATER = ChannelRef("test", "other", "later")
BURST = 200
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday


async def _runtime(folder: Path) -> Runtime:
    settings = Settings(database=DatabaseSettings(path=folder / "reveal.sqlite3"))
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(SEED))
    runtime.platforms["test"] = RecordingPlatform()
    await runtime.start()
    return runtime


def _people(prefix: str, count: int) -> list[UserRef]:
    return [UserRef("test", f"{prefix}{i}", f"{prefix}{i}") for i in range(count)]


async def _answer_all(
    runtime: Runtime, round_id: int, people: list[UserRef], letters: str
) -> list[float]:
    """Everyone answers at once; each answer's latency in ms."""
    rounds = runtime.services.rounds
    rng = random.Random(SEED)

    async def one(person: UserRef) -> float:
        begin = time.perf_counter()
        result = await rounds.answer(round_id, person, rng.choice(letters))
        assert result.outcome is AnswerOutcome.ACCEPTED, result
        return (time.perf_counter() - begin) * 1000

    return list(await asyncio.gather(*(one(p) for p in people)))


async def big_reveal(answers: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        runtime = await _runtime(Path(folder))
        try:
            rounds = runtime.services.rounds
            others = _people("o", BURST)
            # The other channel's people have answered before: returning users.
            warm = await rounds.post_now(OTHER)
            await _answer_all(runtime, warm.id, others, "ab")
            await rounds.reveal(warm.id)

            big = await rounds.post_now(BIG)
            crowd = _people("u", answers)
            for start in range(0, answers, 5000):
                await _answer_all(runtime, big.id, crowd[start : start + 5000], "abcd")

            alone_round = await rounds.post_now(OTHER)
            alone = percentile(await _answer_all(runtime, alone_round.id, others, "ab"), 99)
            await rounds.reveal(alone_round.id)

            during_round = await rounds.post_now(OTHER_LATER)
            holds: list[float] = []
            runtime.db.on_hold(holds.append)
            began = time.perf_counter()
            reveal = asyncio.create_task(rounds.reveal(big.id))
            await asyncio.sleep(0)  # the reveal has started and wants the lock
            during = percentile(await _answer_all(runtime, during_round.id, others, "ab"), 99)
            summary = await reveal
            total = time.perf_counter() - began
            assert summary is not None and summary.total == answers, summary
            longest = max(holds) * 1000
        finally:
            await runtime.close()
    label = f"reveal {answers:,} answers"
    return [
        Figure(f"{label}: total", total * 1000, "ms"),
        Figure(f"{label}: longest lock hold", longest, "ms", "< 50"),
        Figure(f"{label}: other channel p99 alone", alone, "ms"),
        Figure(f"{label}: other channel p99 during", during, "ms", "< 100"),
        Figure(f"{label}: during / alone", during / alone, "x", "< 3"),
    ]


async def year_of_reveals(days: int, per_day: int, population: int) -> list[Figure]:
    """Reveal cost per answer (µs) over the first and last 30 days of a year."""
    window = min(30, days // 3)
    costs: list[float] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        time_machine.travel(START, tick=True) as traveller,
    ):
        runtime = await _runtime(Path(folder))
        try:
            rounds = runtime.services.rounds
            people = _people("y", population)
            rng = random.Random(SEED)
            for day in range(days):
                traveller.move_to(START + timedelta(days=day))
                round_ = await rounds.post_now(BIG)
                today = rng.sample(people, per_day)
                for start in range(0, per_day, 5000):
                    await _answer_all(runtime, round_.id, today[start : start + 5000], "abcd")
                began = time.perf_counter()
                summary = await rounds.reveal(round_.id)
                costs.append((time.perf_counter() - began) / per_day * 1e6)
                assert summary is not None and summary.total == per_day
        finally:
            await runtime.close()
    # Medians: a day on which another process (or a background checkpoint)
    # took the disk is noise here, not the growth this figure looks for.
    first = statistics.median(costs[:window])
    last = statistics.median(costs[-window:])
    note = f"{days} days, {per_day:,} answers a day from {population:,} people"
    return [
        Figure(f"reveal cost per answer, first {window} days", first, "µs", note=note),
        Figure(f"reveal cost per answer, last {window} days", last, "µs"),
        Figure("reveal cost per answer, last / first", last / first, "x", "< 1.25"),
    ]


def measure(quick: bool) -> list[Figure]:
    sizes = (1_000, 3_000) if quick else (1_000, 10_000, 30_000)
    figures: list[Figure] = []
    for size in sizes:
        figures += process.run(big_reveal(size))
    if quick:
        figures += process.run(year_of_reveals(45, 300, 3_000))
    else:
        figures += process.run(year_of_reveals(365, 2_000, 20_000))
    return figures


if __name__ == "__main__":
    cli(__doc__ or "", measure)
