"""Progress charts: how long one takes to draw, and what drawing 20 at once
does to the event loop.

The loop's health is read by a ticker task that asks to wake every 1 ms and
records how late each wake-up is. Its largest lateness while 20 charts render
through ``render_progress_async`` is the stall a click would feel; the same
ticker over the same time with nothing rendering is the baseline of the same
run (timer granularity and the machine's own noise).

    python bench/charts.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import date, timedelta

from common import Figure, cli, percentile

from bot import charts, process
from bot.core.progress import ReviewProgress, TopicProgress

TOPICS = 20
CONCURRENT = 20
TICK_S = 0.001
ROUNDS = 3


def sample_progress(seed: int = 12) -> ReviewProgress:
    """A busy user: 20 topics, some never tried, 30 days of reviews."""
    rng = random.Random(seed)
    topics = []
    for index in range(TOPICS):
        questions = rng.randint(15, 45)
        answered = rng.choice((0, 4, 12, 30, 60))
        topics.append(
            TopicProgress(
                topic=f"topic-number-{index:02d}-{'x' * rng.randint(0, 10)}",
                questions=questions,
                answered=answered,
                correct=rng.randint(0, answered),
                mastered=rng.randint(0, questions) if answered else 0,
            )
        )
    today = date(2026, 11, 23)
    per_day = tuple((today - timedelta(days=29 - i), rng.randint(0, 40)) for i in range(30))
    return ReviewProgress(
        due_now=7,
        next_due=None,
        cards=sum(t.answered for t in topics),
        topics=tuple(topics),
        reviews_per_day=per_day,
    )


class Ticker:
    """Wakes every ``TICK_S`` and keeps the worst lateness seen (in ms)."""

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            self.late_ms.append(max(0.0, (loop.time() - due) * 1000))

    def stop(self) -> None:
        self._stop.set()


async def _ticking(seconds: float | None, work: asyncio.Future[object] | None) -> list[float]:
    ticker = Ticker()
    task = asyncio.create_task(ticker.run())
    await asyncio.sleep(0.05)  # let it find its rhythm
    ticker.late_ms.clear()
    if work is not None:
        await work
    else:
        assert seconds is not None
        await asyncio.sleep(seconds)
    ticker.stop()
    await task
    return ticker.late_ms


async def _concurrent(
    progress: ReviewProgress, count: int, executor: Executor | None = None
) -> tuple[float, list[float]]:
    """Render ``count`` charts at once; (seconds taken, the ticker's lateness)."""
    start = time.perf_counter()
    work = asyncio.gather(
        *(
            charts.render_progress_async(progress, title=f"Progress — user {i}", executor=executor)
            for i in range(count)
        )
    )
    late = await _ticking(None, work)
    elapsed = time.perf_counter() - start
    assert all(png.startswith(charts.PNG_SIGNATURE) for png in work.result())
    return elapsed, late


async def _main(quick: bool) -> list[Figure]:
    progress = sample_progress()
    cold_start = time.perf_counter()
    charts.render_progress(progress, title="warm-up")  # imports matplotlib, fills font caches
    cold_ms = (time.perf_counter() - cold_start) * 1000
    runs = 5 if quick else 15
    single = []
    for _ in range(runs):
        start = time.perf_counter()
        charts.render_progress(progress, title="Progress — alice")
        single.append((time.perf_counter() - start) * 1000)
    count = 5 if quick else CONCURRENT
    rounds = 1 if quick else ROUNDS
    # Start the render process and let it import matplotlib before measuring.
    await charts.render_progress_async(progress, title="warm-up")
    loaded: list[list[float]] = []
    idle: list[list[float]] = []
    threaded: list[list[float]] = []
    elapsed = threaded_elapsed = 0.0
    with ThreadPoolExecutor(max_workers=1) as thread:
        await charts.render_progress_async(progress, title="warm-up", executor=thread)
        # Interleaved, so noise from the rest of the machine falls on all three alike.
        for _ in range(rounds):
            took, late = await _concurrent(progress, count)
            loaded.append(late)
            idle.append(await _ticking(took, None))
            took_threaded, late_threaded = await _concurrent(progress, count, thread)
            threaded.append(late_threaded)
            elapsed += took
            threaded_elapsed += took_threaded
    charts.shutdown()
    worst = statistics.median(max(r) for r in loaded)
    calm = statistics.median(max(r) for r in idle)
    note = f"; median of {rounds} rounds' largest" if rounds > 1 else ""
    return [
        Figure("chart_render_ms", statistics.median(single), "ms", "< 300", f"median of {runs}"),
        Figure("chart_render_max_ms", max(single), "ms"),
        Figure("chart_first_render_ms", cold_ms, "ms", note="includes importing matplotlib"),
        Figure(
            f"loop_max_stall_ms[{count} charts]",
            worst,
            "ms",
            "< 20",
            f"{charts.RENDER_PROCESSES} render process{note}",
        ),
        Figure(f"loop_max_stall_ms[{count} charts, all rounds]", max(map(max, loaded)), "ms"),
        Figure(
            f"loop_p99_lateness_ms[{count} charts]",
            percentile([x for r in loaded for x in r], 99),
            "ms",
        ),
        Figure("loop_max_stall_ms[idle]", calm, "ms", note=f"baseline, same ticker{note}"),
        Figure("stall_vs_idle", worst / calm if calm else float("nan"), "x"),
        Figure(f"charts_per_s[{count} concurrent]", count * rounds / elapsed, "charts/s"),
        Figure(
            f"loop_max_stall_ms[{count} charts, thread]",
            statistics.median(max(r) for r in threaded),
            "ms",
            note=f"the alternative, one render thread sharing the GIL{note}",
        ),
        Figure(
            f"loop_p99_lateness_ms[{count} charts, thread]",
            percentile([x for r in threaded for x in r], 99),
            "ms",
        ),
        Figure(
            f"charts_per_s[{count} concurrent, thread]",
            count * rounds / threaded_elapsed,
            "charts/s",
        ),
    ]


def measure(quick: bool) -> list[Figure]:
    return process.run(_main(quick))


if __name__ == "__main__":
    cli(__doc__ or "", measure)
