"""Scheduling scale: S channel schedules in S/10 spaces.

* start-up: build the runtime and rebuild every job from the database, against
  the baseline of only reading the schedules back;
* memory: resident set size once every job is in place;
* lateness: D schedules (in seven time zones) are due at the same instant and
  post through a fake platform that takes 20 ms a post; the bot's own
  concurrency bound (game.max_concurrent_posts) applies. Lateness is when a
  post finished minus when it was due, against the ideal D x 20 ms / bound.

The clock is moved with time-machine, ticking at real speed, so APScheduler
and the bot run exactly as in production but nobody waits for a real 09:00.

    python bench/scheduling.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import gc
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobEvent
from common import Figure, cli, percentile, rss_mb

from bot import process
from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import RevealSummary, Round
from bot.storage.database import Database
from tests.helpers import RecordingPlatform, small_bank

SEED = 3
DUE = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
POST_S = 0.020


class SlowPlatform(RecordingPlatform):
    """Every post takes 20 ms, as a round trip to a chat service might."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[datetime] = []

    async def post_question(self, round_: Round) -> str | None:
        await asyncio.sleep(POST_S)
        self.finished.append(datetime.now(UTC))
        return await super().post_question(round_)

    async def post_reveal(self, summary: RevealSummary) -> None:  # not part of this benchmark
        return None


async def _fill(path: Path, schedules: int, due: int, rng: random.Random) -> None:
    """Spaces, channels and schedules written in bulk; ``due`` of them at DUE."""
    async with Database(path) as db, db.write() as conn:
        spaces = schedules // 10
        await conn.executemany(
            "INSERT INTO spaces (id, platform, external_id) VALUES (?, 'test', ?)",
            [(i + 1, f"space-{i}") for i in range(spaces)],
        )
        await conn.executemany(
            "INSERT INTO channels (id, space_id, external_id) VALUES (?, ?, ?)",
            [(i + 1, i % spaces + 1, f"chan-{i}") for i in range(schedules)],
        )
        rows = []
        for i in range(schedules):
            zone = ZONES[i % len(ZONES)]
            if i < due:
                local = DUE.astimezone(ZoneInfo(zone))
            else:  # any other minute up to 22 h after DUE: none is a late post at start-up
                later = DUE + timedelta(minutes=rng.randrange(1, 22 * 60))
                local = later.astimezone(ZoneInfo(zone))
            rows.append((i + 1, f"{local:%H:%M}", zone))
        await conn.executemany(
            "INSERT INTO schedules (channel_id, post_time, timezone, weekdays, reveal_after_s) "
            "VALUES (?, ?, ?, 127, 3600)",
            rows,
        )


def _count_post_jobs(runtime: Runtime, expected: int) -> asyncio.Event:
    """Set once ``expected`` post jobs have finished, i.e. recorded their round."""
    done = asyncio.Event()
    finished = 0

    def on_event(event: JobEvent) -> None:
        nonlocal finished
        if event.job_id.startswith("post:"):
            finished += 1
            if finished >= expected:
                done.set()

    runtime.scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return done


async def _open_rounds(runtime: Runtime) -> int:
    rows = await runtime.db.reader.execute_fetchall(
        "SELECT COUNT(*) FROM rounds WHERE status = 'open'"
    )
    return int(next(iter(rows))[0])


async def _measure(schedules: int, due: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        await _fill(path, schedules, due, random.Random(SEED))
        gc.collect()
        settings = Settings(database=DatabaseSettings(path=path))
        bound = settings.game.max_concurrent_posts
        traveller = time_machine.travel(DUE - timedelta(minutes=10), tick=True)
        coordinates = traveller.start()
        try:
            rss_before = rss_mb()
            bank = small_bank()
            began = time.perf_counter()
            runtime = await build_runtime(settings, bank=bank, rng=random.Random(SEED))
            platform = SlowPlatform()
            runtime.platforms["test"] = platform
            await runtime.start()
            startup = time.perf_counter() - began
            jobs = len(runtime.scheduler.get_jobs())
            rss_after = rss_mb()
            try:
                began = time.perf_counter()
                loaded = await runtime.store.list_schedules()
                read_only = time.perf_counter() - began
                assert len(loaded) == schedules
                # Jump to a second before DUE; APScheduler re-plans on wakeup.
                coordinates.move_to(DUE - timedelta(seconds=1))
                jobs_done = _count_post_jobs(runtime, due)
                runtime.scheduler.wakeup()
                await asyncio.wait_for(jobs_done.wait(), timeout=120)
                assert await _open_rounds(runtime) == due
                lateness = [(t - DUE).total_seconds() for t in platform.finished]
                assert len(lateness) == due, f"only {len(lateness)} of {due} posted"
                assert len({r.channel for r in platform.posted}) == due, "a channel posted twice"
            finally:
                await runtime.close()
        finally:
            traveller.stop()
    ideal = due * POST_S / bound
    worst = max(lateness)
    return [
        Figure(f"startup_s[{schedules}]", startup, "s", "< 3"),
        Figure(f"read_schedules_s[{schedules}]", read_only, "s", note="baseline"),
        Figure("startup_vs_read", startup / read_only, "x"),
        Figure(f"jobs[{schedules}]", jobs, "jobs", note="daily post + weekly recap"),
        Figure(f"rss_mb[{schedules}]", rss_after, "MB", "< 200"),
        Figure("rss_growth_mb", rss_after - rss_before, "MB"),
        Figure(f"post_lateness_p50_s[{due}]", percentile(lateness, 50), "s"),
        Figure(f"post_lateness_max_s[{due}]", worst, "s", "< 60"),
        Figure("ideal_s", ideal, "s", note=f"{due} x 20 ms / {bound} at once"),
        Figure("lateness_vs_ideal", worst / ideal, "x"),
    ]


def measure(quick: bool) -> list[Figure]:
    schedules, due = (1_000, 100) if quick else (10_000, 1_000)
    return process.run(_measure(schedules, due))


if __name__ == "__main__":
    cli(__doc__ or "", measure)
