"""Soak: a simulated year of daily questions through the real adapters.

Channels on Discord (19 in 20) and in the terminal (every 20th) each have a
daily schedule in one of four time zones, ten channels to a server.
Every simulated day each schedule posts, ``--answers`` members answer by
clicking the real buttons (gateway payloads through discord.py's dispatch) or
typing a letter at the terminal, and the reveal jobs close the rounds. Only
Discord's HTTP edge is faked; the clock is time-machine's, moved from one job
to the next, so APScheduler and the services run as in production. The driver
is ``tests/soak.py``; the CI test runs a short version of it.

Figures: resident memory at days 1, 30, 180 and 365 (after a full garbage
collection), split into SQLite's heap (its page caches, bounded by
``database.cache_mb``) and the rest, and their ratios; what discord.py's view
store holds at the end; the database size by table and per answer; the cost of
an answer, a post and a reveal in the last week against the first (CPU time of
the process, with wall-clock latency beside it); posts and reveals missed or
doubled, checked against what reached the edge and the rounds table.

The issue's full shape is ``--channels 1000 --days 365 --answers 20``: about two
hours on the 2-core machine (a 30-day run of it took 9 minutes). The default
full run is 50 channels for the whole year, and the database size is also
extrapolated per channel-day to 1,000 channels.

    python bench/soak.py [--quick] [--json] [--channels N] [--days N] [--answers N]
                         [--cache-mb N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import time_machine
from common import Figure

from bot import process
from bot.adapters.discord.ids import PLATFORM as DISCORD
from tests.soak import START, Day, Shape, Soak, channels_of, count_rows, table_sizes, typical

FULL = Shape(channels=50, days=365, answers=20, real_bank=True)
QUICK = Shape(channels=20, days=45, answers=20, real_bank=True)
ISSUE_CHANNELS = 1000
WEEK = 7
TABLE_SHARE = 0.02
"""Tables under this share of the file are not listed one by one."""
CACHE_CONNECTIONS = 2
"""The writer and the reader fill page caches; the checkpointer copies WAL frames."""
MB = 1024 * 1024


def checkpoints(days: int) -> set[int]:
    return {d for d in (1, 30, 180, 365) if d <= days} | {days}


async def _soak(shape: Shape, folder: Path) -> tuple[list[Day], dict[str, int], float, float]:
    with time_machine.travel(START, tick=False) as traveller:
        soak = Soak(shape, folder, traveller)
        began = time.perf_counter()
        await soak.start()
        try:
            days = await soak.run(checkpoints(shape.days))
            views = soak.view_store()
        finally:
            await soak.stop()
        return days, views, soak.database_bytes(), time.perf_counter() - began


def measure_shape(shape: Shape) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        days, views, db_bytes, wall = process.run(_soak(shape, Path(folder)))
        path = Path(folder) / "soak.sqlite3"
        sizes = table_sizes(path)
        answers, scored = count_rows(path, "answers"), count_rows(path, "scored")
        rounds, scores = count_rows(path, "rounds"), count_rows(path, "scores")
    scale = shape.describe()
    checked = {d.number: d for d in days if d.rss_mb is not None and d.sqlite_mb is not None}
    rss = {n: d.rss_mb or 0.0 for n, d in checked.items()}
    sqlite = {n: d.sqlite_mb or 0.0 for n, d in checked.items()}
    rest = {n: rss[n] - sqlite[n] for n in checked}
    first, last = min(checked), max(checked)
    figures = []
    for n in sorted(checked):
        figures += [
            Figure(f"rss_mb[day {n}]", rss[n], "MB", note=scale if n == first else ""),
            Figure(f"sqlite_heap_mb[day {n}]", sqlite[n], "MB", note="page caches, in the RSS"),
            Figure(f"rss_less_sqlite_mb[day {n}]", rest[n], "MB"),
        ]
    since = 30 if last > 30 else first
    messages = sum(d.questions + d.reveals + d.recaps for d in days if d.number > since)
    figures += [
        Figure(
            f"rss_ratio[day {last}/day {first}]",
            rss[last] / rss[first],
            "x",
            note=f"SQLite's caches may fill to {CACHE_CONNECTIONS} x database.cache_mb",
        ),
        Figure(
            f"rss_less_sqlite_ratio[day {last}/day {first}]",
            rest[last] / rest[first],
            "x",
            "< 1.25",
            note="everything but SQLite's bounded page caches",
        ),
        Figure(
            f"python_blocks_ratio[day {last}/day {first}]",
            (checked[last].python_blocks or 0) / (checked[first].python_blocks or 1),
            "x",
            note="objects Python holds (sys.getallocatedblocks)",
        ),
        Figure(
            "rss_less_sqlite_growth_kb_per_1000_messages",
            (rest[last] - rest[since]) * 1024 / max(1, messages) * 1000,
            "KB",
            note=f"day {since} to {last}, {messages:,} messages sent",
        ),
        Figure(
            "view_store_entries[end]",
            views["views"] + views["message_views"] + views["modals"],
            "views",
            "< 1",
            note=f"{views['dynamic_patterns']} dynamic-item patterns (fixed)",
        ),
    ]
    sent = sum(d.answers_sent for d in days)
    locked = sum(d.answers_locked for d in days)
    on_discord = sum(1 for c in channels_of(shape) if c.platform == DISCORD)
    oddities = [odd for d in days for odd in d.oddities]
    figures += [
        Figure("posts_missed", sum(d.missed_posts for d in days), "posts", "<= 0"),
        Figure("posts_doubled", sum(d.doubled_posts for d in days), "posts", "<= 0"),
        Figure("reveals_missed", sum(d.missed_reveals for d in days), "reveals", "<= 0"),
        Figure("reveals_doubled", sum(d.doubled_reveals for d in days), "reveals", "<= 0"),
        Figure(
            "buttons_left_open",
            sum(max(0, on_discord - d.edits) for d in days),
            "rounds",
            "<= 0",
            note="Discord rounds whose buttons no edit closed",
        ),
        Figure("oddities", len(oddities), "", "<= 0", note=oddities[0] if oddities else ""),
        Figure(
            "answers_not_stored_or_scored",
            (sent - locked) + (sent - answers) + (answers - scored),
            "answers",
            "<= 0",
            note=f"{sent:,} sent, {locked:,} locked in, {answers:,} stored, {scored:,} scored",
        ),
    ]
    window = min(WEEK, max(1, shape.days // 2))
    early, late = days[:window], days[-window:]
    span = f"days 1-{window} vs {shape.days - window + 1}-{shape.days}, median of daily figures"
    # Wall-clock latency is what a member sees, but other programs on the machine
    # move it; the CPU time this process spent on the same work does not, so the
    # targets are on the CPU ratios of answers and reveals. Posting reads how often
    # the channel saw each question, which grows until every question of the bank
    # has been asked once, so it is shown without a target.
    for name, attribute, target in (
        ("answer_p99_ms", "click_p99_ms", ""),
        ("answer_p50_ms", "click_p50_ms", ""),
        ("reveal_ms_per_round", "reveal_ms_per_round", ""),
        ("post_ms_per_round", "post_ms_per_round", ""),
        ("terminal_answer_p99_ms", "terminal_p99_ms", ""),
        ("answer_cpu_ms", "click_cpu_ms_per_answer", "< 1.5"),
        ("reveal_cpu_ms_per_round", "reveal_cpu_ms_per_round", "< 1.5"),
        ("post_cpu_ms_per_round", "post_cpu_ms_per_round", ""),
    ):
        before, after = typical(early, attribute), typical(late, attribute)
        figures += [
            Figure(f"{name}[first week]", before, "ms"),
            Figure(f"{name}[last week]", after, "ms"),
            Figure(f"{name}_ratio", after / before, "x", target, span),
        ]
    channel_days = sum(d.questions for d in days)
    per_channel_day = db_bytes / max(1, channel_days)
    figures += [
        Figure(
            f"db_mb[{scale}]", db_bytes / MB, "MB", note=f"{rounds:,} rounds, {answers:,} answers"
        ),
        Figure("db_bytes_per_answer", db_bytes / max(1, answers), "B", note="whole file / answers"),
        Figure("answers_bytes_per_row", sizes.get("answers", 0) / max(1, answers), "B"),
        Figure("db_kb_per_channel_day", per_channel_day / 1024, "KB"),
    ]
    # Every table holding a noticeable share of the file, with what it costs per
    # answer: what compaction could win is in these lines.
    for table, size in sorted(sizes.items(), key=lambda item: -item[1]):
        if size >= TABLE_SHARE * db_bytes:
            rows = f", {scores:,} rows" if table == "scores" else ""
            figures.append(
                Figure(
                    f"table_mb[{table}]",
                    size / MB,
                    "MB",
                    note=f"{size / max(1, answers):.0f} B per answer{rows}",
                )
            )
    if shape.channels != ISSUE_CHANNELS or shape.days < 365:
        figures.append(
            Figure(
                f"db_mb_extrapolated[{ISSUE_CHANNELS} channels x 365 days]",
                per_channel_day * ISSUE_CHANNELS * 365 / MB,
                "MB",
                note=f"per channel-day, {shape.answers} answers a round",
            )
        )
    figures.append(Figure("soak_wall_s", wall, "s", note=scale))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, for a smoke test")
    parser.add_argument("--json", action="store_true", help="emit JSON lines for bench/run")
    parser.add_argument("--channels", type=int, help=f"channels (default {FULL.channels})")
    parser.add_argument("--days", type=int, help=f"simulated days (default {FULL.days})")
    parser.add_argument("--answers", type=int, help=f"answers a round (default {FULL.answers})")
    parser.add_argument(
        "--cache-mb", type=int, help="SQLite page cache per connection (default: the config's)"
    )
    args = parser.parse_args()
    base = QUICK if args.quick else FULL
    shape = Shape(
        channels=args.channels or base.channels,
        days=args.days or base.days,
        answers=args.answers or base.answers,
        real_bank=base.real_bank,
        cache_mb=args.cache_mb,
    )
    for figure in measure_shape(shape):
        print(json.dumps(asdict(figure)) if args.json else figure.line(), flush=True)


if __name__ == "__main__":
    main()
