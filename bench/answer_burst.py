"""Answer burst: N users answer one open round at the same moment.

The real path is RoundService.answer -> group commit -> SQLite; each answer is
acknowledged only after the transaction holding it has committed. It is
compared, in the same run and on the same database settings, with:

* naive: the same store call, one transaction per answer;
* raw: one aiosqlite ``executemany`` of the same rows in one transaction,
  which is what SQLite itself allows;
* floor: N bare asyncio tasks that each await a future resolved in one go,
  the event loop's own cost with no work at all.

"Returning" users have answered an earlier round (the usual daily audience);
"returning after restart" are the same users after the process restarted, so
none of them is in the identity cache; "first-time" users are created inside
the burst. N and the seed are fixed.

    python bench/answer_burst.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from common import Figure, cli, percentile

from bot import process
from bot.app import Runtime, build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import AnswerOutcome, AnswerSubmission, ChannelRef, UserRef
from bot.storage.database import to_db
from tests.helpers import RecordingPlatform, small_bank

SEED = 1
DEFAULT_GC = (700, 10, 10)
CHANNEL = ChannelRef("test", "bench", "bench")
WARM_UP_CLICKS = 20
NAIVE_CAP = 2000  # one commit each: more users only make the run longer, not the rate different


async def _runtime(folder: Path, synchronous: Literal["NORMAL", "FULL"] = "NORMAL") -> Runtime:
    settings = Settings(
        database=DatabaseSettings(path=folder / "bench.sqlite3", synchronous=synchronous)
    )
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(SEED))
    runtime.platforms["test"] = RecordingPlatform()
    await runtime.start()
    return runtime


def _people(users: int) -> list[UserRef]:
    return [UserRef("test", str(900_000 + i), f"user{i}") for i in range(users)]


async def _returning(runtime: Runtime, people: list[UserRef]) -> None:
    """Everyone answers and sees the reveal of an earlier round, untimed."""
    rounds = runtime.services.rounds
    earlier = await rounds.post_now(CHANNEL)
    await asyncio.gather(*(rounds.answer(earlier.id, p, "a") for p in people))
    await rounds.reveal(earlier.id)


async def _timed(
    calls: list[Callable[[], Awaitable[AnswerOutcome]]],
) -> tuple[float, list[float]]:
    """Start every call at once; answers per second and each call's latency (ms)."""

    async def one(call: Callable[[], Awaitable[AnswerOutcome]]) -> float:
        begin = time.perf_counter()
        outcome = await call()
        assert outcome is AnswerOutcome.ACCEPTED, outcome
        return (time.perf_counter() - begin) * 1000

    start = time.perf_counter()
    latencies = await asyncio.gather(*(one(call) for call in calls))
    return len(calls) / (time.perf_counter() - start), list(latencies)


async def grouped(
    users: int,
    *,
    returning: bool,
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    restart: bool = False,
) -> tuple[float, list[float]]:
    """``restart``: the returning users answered before the process restarted,
    so none of them is in the identity cache when the burst comes."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = await _runtime(Path(folder), synchronous)
        try:
            people = _people(users)
            if returning:
                await _returning(runtime, people)
            if restart:
                await runtime.close()
                runtime = await _runtime(Path(folder), synchronous)
            rounds = runtime.services.rounds
            round_ = await rounds.post_now(CHANNEL)
            rng = random.Random(SEED)
            letters = [rng.choice(round_.question.letters()) for _ in people]

            def call(person: UserRef, letter: str) -> Callable[[], Awaitable[AnswerOutcome]]:
                async def run() -> AnswerOutcome:
                    return (await rounds.answer(round_.id, person, letter)).outcome

                return run

            rate, latencies = await _timed(
                [call(p, x) for p, x in zip(people, letters, strict=True)]
            )
            assert await runtime.store.round_answer_count(round_.id) == users
            return rate, latencies
        finally:
            await runtime.close()


async def naive(users: int, synchronous: Literal["NORMAL", "FULL"] = "NORMAL") -> float:
    with tempfile.TemporaryDirectory() as folder:
        runtime = await _runtime(Path(folder), synchronous)
        try:
            people = _people(users)
            await _returning(runtime, people)
            round_ = await runtime.services.rounds.post_now(CHANNEL)
            store, clock = runtime.store, runtime.services.clock

            def call(person: UserRef) -> Callable[[], Awaitable[AnswerOutcome]]:
                async def run() -> AnswerOutcome:
                    sub = AnswerSubmission(round_.id, person, "a", clock.now())
                    return (await store.record_answers([sub]))[0].outcome

                return run

            rate, _ = await _timed([call(p) for p in people])
            return rate
        finally:
            await runtime.close()


async def raw(users: int) -> float:
    """The same rows, built beforehand, in one executemany and one transaction."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = await _runtime(Path(folder))
        try:
            people = _people(users)
            await _returning(runtime, people)
            round_ = await runtime.services.rounds.post_now(CHANNEL)
            async with runtime.db.reader.execute(
                "SELECT id FROM users WHERE platform = 'test' ORDER BY id"
            ) as cursor:
                user_ids = [int(row[0]) for row in await cursor.fetchall()]
            stamp = to_db(datetime.now(UTC))
            rows = [(round_.id, user_id, "a", stamp) for user_id in user_ids]
            start = time.perf_counter()
            async with runtime.db.write() as conn:
                await conn.executemany(
                    "INSERT INTO answers (round_id, user_id, choice, answered_at) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            return users / (time.perf_counter() - start)
        finally:
            await runtime.close()


async def floor(users: int) -> float:
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[AnswerOutcome]] = []

    def call() -> Callable[[], Awaitable[AnswerOutcome]]:
        async def run() -> AnswerOutcome:
            future: asyncio.Future[AnswerOutcome] = loop.create_future()
            futures.append(future)
            if len(futures) == users:
                loop.call_soon(lambda: [f.set_result(AnswerOutcome.ACCEPTED) for f in futures])
            return await future

        return run

    rate, _ = await _timed([call() for _ in range(users)])
    return rate


async def discord_clicks(users: int) -> tuple[float, list[float]]:
    """Clicks delivered as gateway payloads to the real StudyBot; only the
    network is faked. Latency runs from the payload's arrival to the moment the
    interaction's reply leaves for Discord."""
    import time_machine

    from tests.discord_adapter.world import MANAGER, DiscordWorld, custom_ids
    from tests.helpers import MONDAY_8AM, Harness

    traveller = time_machine.travel(MONDAY_8AM, tick=True)
    coordinates = traveller.start()
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder) / "bench.sqlite3", coordinates)
        world = DiscordWorld(harness)
        await harness.start()
        try:
            await world.command("daily now", permissions=MANAGER)
            message = world.posted_message()
            buttons = custom_ids(message)
            rng = random.Random(SEED)
            for i in range(WARM_UP_CLICKS):  # first use imports and builds things; untimed
                await world.click(
                    message, buttons[0], user_id=980_000_000_000_000_000 + i, name="w"
                )
            payloads = [
                world.click_payload(
                    message, rng.choice(buttons), user_id=970_000_000_000_000_000 + i, name=f"u{i}"
                )
                for i in range(users)
            ]
            arrived: dict[str, float] = {}
            acked: dict[str, float] = {}
            record = world.fake._record

            async def timed_record(method: str, path: str, payload: Any) -> None:
                if path.endswith("/callback"):
                    acked[path.split("/")[2]] = time.perf_counter()
                await record(method, path, payload)

            world.fake._record = timed_record  # type: ignore[method-assign]
            state = world.bot._connection
            start = time.perf_counter()
            for payload in payloads:
                arrived[payload["id"]] = time.perf_counter()
                state.parse_interaction_create(payload)
            await world.fake.wait_for(lambda _: len(acked) >= users)
            elapsed = time.perf_counter() - start
            runtime = harness.runtime
            assert runtime is not None
            round_ = await runtime.store.latest_open_round(_discord_channel())
            assert round_ is not None
            assert await runtime.store.round_answer_count(round_.id) == users + WARM_UP_CLICKS
            latencies = [(acked[key] - arrived[key]) * 1000 for key in arrived]
            return users / elapsed, latencies
        finally:
            if world.client is not None:
                await world.client.close()
            await harness.stop()
            traveller.stop()


def _discord_channel() -> ChannelRef:
    from bot.adapters.discord.ids import channel_ref
    from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID

    return channel_ref(GUILD_ID, CHANNEL_ID)


def measure(quick: bool) -> list[Figure]:
    sizes = (200, 1000) if quick else (1000, 10_000)
    small, large = sizes
    figures: list[Figure] = []
    loop = "uvloop" if process.loop_factory() else "asyncio"

    def run(coro: Any) -> Any:
        return process.run(coro)

    raw_rate = run(raw(large))
    figures.append(Figure(f"raw_executemany[{large}]", raw_rate, "answers/s"))
    naive_rate = run(naive(min(large, NAIVE_CAP)))
    figures.append(Figure(f"naive_commit_each[{min(large, NAIVE_CAP)}]", naive_rate, "answers/s"))
    floor_rate = run(floor(large))
    figures.append(Figure(f"event_loop_floor[{large}]", floor_rate, "answers/s", note=loop))
    for users in sizes:
        for who in ("returning", "returning_after_restart", "first_time"):
            returning, restart = who != "first_time", who.endswith("restart")
            rate, latencies = run(grouped(users, returning=returning, restart=restart))
            p99_target = "< 50" if users == 1000 else ""
            figures += [
                Figure(f"answers_per_s[{users},{who}]", rate, "answers/s", ">= 20000"),
                Figure(f"ack_p50_ms[{users},{who}]", percentile(latencies, 50), "ms"),
                Figure(f"ack_p99_ms[{users},{who}]", percentile(latencies, 99), "ms", p99_target),
                Figure(f"ratio_vs_naive[{users},{who}]", rate / naive_rate, "x"),
                Figure(f"share_of_raw[{users},{who}]", 100 * rate / raw_rate, "%", ">= 20"),
            ]
    tuned = gc.get_threshold()
    gc.set_threshold(*DEFAULT_GC)  # what the bot would get from plain asyncio.run
    try:
        std, _ = asyncio.run(grouped(large, returning=True))
    finally:
        gc.set_threshold(*tuned)
    figures.append(
        Figure(
            f"answers_per_s_standard_loop[{large},returning]",
            std,
            "answers/s",
            note="asyncio, default GC",
        )
    )

    # Durability: what synchronous=FULL (an fsync at every commit) costs, with
    # group commit and with one commit per answer. Median of three runs each.
    def median_rate(sync: Literal["NORMAL", "FULL"]) -> float:
        return statistics.median(
            run(grouped(small, returning=True, synchronous=sync))[0] for _ in range(3)
        )

    full, normal = median_rate("FULL"), median_rate("NORMAL")
    naive_users = min(small, NAIVE_CAP)
    naive_full = run(naive(naive_users, "FULL"))
    figures += [
        Figure(f"answers_per_s_sync_full[{small},returning]", full, "answers/s"),
        Figure(f"full_vs_normal[{small}]", full / normal, "x", note="group commit"),
        Figure(f"naive_sync_full[{naive_users}]", naive_full, "answers/s"),
        Figure("naive_full_vs_normal", naive_full / naive_rate, "x", note="one commit each"),
    ]
    clicks = small
    rate, latencies = run(discord_clicks(clicks))
    figures += [
        Figure(f"discord_clicks_per_s[{clicks}]", rate, "answers/s"),
        Figure(f"discord_ack_p50_ms[{clicks}]", percentile(latencies, 50), "ms"),
        Figure(f"discord_ack_p99_ms[{clicks}]", percentile(latencies, 99), "ms"),
        Figure(f"discord_ratio_vs_naive[{clicks}]", rate / naive_rate, "x"),
        Figure(f"discord_share_of_raw[{clicks}]", 100 * rate / raw_rate, "%"),
    ]
    return figures


if __name__ == "__main__":
    cli(__doc__ or "", measure)
