"""Child process for the kill-between-reveal-steps test.

    python -m tests.faults.reveal_driver DB --at ISO [--users N] [--step K]

DB is a SQLite file or a ``postgresql://`` URL. It opens the runtime on DB with the clock frozen at ``--at``, posts a round,
has N users answer it (a third of them correctly), then reveals it early
(``/daily reveal``) in steps of K answers. After every committed write of the
reveal it prints ``step`` and waits for a line on stdin before going on, so
the parent can SIGKILL it at an exact point *between* two steps:

    ready ROUND_ID      the answers are in; the reveal starts now
    step                one more reveal transaction has committed
    done                the reveal finished (the parent should not see this)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import datetime

import time_machine

from bot.app import build_runtime
from bot.config import Settings
from bot.core.models import ChannelRef, UserRef
from bot.storage.rounds import RevealSteps
from tests.faults.support import store_settings
from tests.helpers import RecordingPlatform, small_bank

CHANNEL = ChannelRef("test", "space-1", "chan-1")


def person(index: int) -> UserRef:
    return UserRef("test", f"u{index}", f"user{index}")


async def run(db: str, users: int, step: int) -> None:
    settings = Settings(database=store_settings(db))
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(3))
    runtime.platforms["test"] = RecordingPlatform()
    await runtime.start()
    rounds = runtime.services.rounds
    round_ = await rounds.post_now(CHANNEL)
    question = round_.question
    wrong = next(x for x in question.letters() if x != question.answer)
    await asyncio.gather(
        *(
            rounds.answer(round_.id, person(i), question.answer if i % 3 == 0 else wrong)
            for i in range(users)
        )
    )
    runtime.store.reveal_steps = RevealSteps(first=step, smallest=step, largest=step)

    def between_steps(_: float) -> None:
        emit("step")
        sys.stdin.readline()  # hold here, outside any transaction, until told

    runtime.db.on_hold(between_steps)
    emit(f"ready {round_.id}")
    await rounds.reveal_now(CHANNEL)
    emit("done")
    await runtime.close()


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", help="a SQLite file, or a postgresql:// URL")
    parser.add_argument("--at", required=True, help="the frozen clock, ISO 8601 with offset")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--step", type=int, default=25)
    args = parser.parse_args()
    with time_machine.travel(datetime.fromisoformat(args.at), tick=False):
        asyncio.run(run(args.db, args.users, args.step))


if __name__ == "__main__":
    main()
