"""Answer burst: N users answer one open round at once.

Compares the real answer path (RoundService -> group commit -> SQLite) with a
naive baseline that commits every answer in its own transaction, on the same
machine in the same run. Prints one figure per line.

    python bench/answer_burst.py [--users 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.app import build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import AnswerOutcome, ChannelRef, UserRef
from tests.helpers import RecordingPlatform, small_bank

CHANNEL = ChannelRef("test", "bench", "bench")


async def burst(users: int, seed: int, *, naive: bool) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database=DatabaseSettings(path=Path(folder) / "bench.sqlite3"))
        runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(seed))
        runtime.platforms["test"] = RecordingPlatform()
        await runtime.start()
        try:
            rounds = runtime.services.rounds
            round_ = await rounds.post_now(CHANNEL)
            rng = random.Random(seed)
            people = [UserRef("test", str(i), f"user{i}") for i in range(users)]
            letters = [rng.choice(round_.question.letters()) for _ in people]
            if naive:
                # Same store call, but one transaction per answer.
                store = runtime.store
                from bot.core.models import AnswerSubmission

                async def one(person: UserRef, letter: str) -> float:
                    sub = AnswerSubmission(round_.id, person, letter, runtime.services.clock.now())
                    begin = time.perf_counter()
                    (result,) = await store.record_answers([sub])
                    assert result.outcome is AnswerOutcome.ACCEPTED
                    return time.perf_counter() - begin
            else:

                async def one(person: UserRef, letter: str) -> float:
                    begin = time.perf_counter()
                    result = await rounds.answer(round_.id, person, letter)
                    assert result.outcome is AnswerOutcome.ACCEPTED
                    return time.perf_counter() - begin

            start = time.perf_counter()
            latencies = await asyncio.gather(
                *(one(p, x) for p, x in zip(people, letters, strict=True))
            )
            elapsed = time.perf_counter() - start
            assert await runtime.store.round_answer_count(round_.id) == users
            return users / elapsed, list(latencies)
        finally:
            await runtime.close()


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    grouped, lat = asyncio.run(burst(args.users, args.seed, naive=False))
    naive, _ = asyncio.run(burst(args.users, args.seed, naive=True))
    print(f"answers_per_s_group_commit[{args.users}] {grouped:.0f}")
    print(f"answers_per_s_naive[{args.users}] {naive:.0f}")
    print(f"ratio_group_vs_naive {grouped / naive:.1f}")
    print(f"ack_p50_ms {pct(lat, 50):.1f}")
    print(f"ack_p99_ms {pct(lat, 99):.1f}")


if __name__ == "__main__":
    main()
