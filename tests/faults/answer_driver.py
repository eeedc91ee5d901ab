"""Child process for the kill -9 test: the real runtime answering a burst.

    python -m tests.faults.answer_driver DB --at ISO [--synchronous FULL]

DB is a SQLite file or a ``postgresql://`` URL. It opens the runtime on DB with the clock frozen at ``--at`` (the parent uses
the same instant, so "before the reveal" means the same thing on both sides),
posts a round or reuses the open one, then answers wave after wave of users
concurrently through ``RoundService.answer``, the path a button click takes.

Each line on stdout is flushed as soon as it is known, so whatever the parent
has read when it sends SIGKILL was really acknowledged:

    ready ROUND_ID SYNCHRONOUS       the round, and PRAGMA synchronous as read back
                                     (``-`` on PostgreSQL, which has no such pragma)
    ack USER CHOICE                  an ACCEPTED answer (durable, by contract)
    again USER CHOICE                a repeat refused; CHOICE is the one kept
    done                             every wave finished (the parent should not see this)

Each wave also re-sends a few users of the wave before with another letter,
so duplicates race with fresh answers inside the same batches.
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
from bot.core.models import AnswerOutcome, ChannelRef, UserRef
from tests.faults.support import store_settings
from tests.helpers import RecordingPlatform, small_bank

CHANNEL = ChannelRef("test", "space-1", "chan-1")


def person(index: int) -> UserRef:
    return UserRef("test", f"u{index}", f"user{index}")


async def run(db: str, synchronous: str, waves: int, wave_size: int) -> None:
    settings = Settings(database=store_settings(db, synchronous=synchronous))
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(3))
    runtime.platforms["test"] = RecordingPlatform()
    await runtime.start()
    rounds = runtime.services.rounds
    round_ = await rounds.open_round(CHANNEL) or await rounds.post_now(CHANNEL)
    pragma = "-"
    if settings.postgres_url is None:
        async with runtime.db.reader.execute("PRAGMA synchronous") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        pragma = str(row[0])
    emit(f"ready {round_.id} {pragma}")
    letters = round_.question.letters()
    rng = random.Random(11)

    async def one(user: UserRef, letter: str) -> None:
        result = await rounds.answer(round_.id, user, letter)
        if result.outcome is AnswerOutcome.ACCEPTED:
            emit(f"ack {user.external_id} {result.choice}")
        elif result.outcome is AnswerOutcome.ALREADY_ANSWERED:
            emit(f"again {user.external_id} {result.choice}")
        else:  # pragma: no cover - would be a bug; the parent fails on it
            emit(f"unexpected {user.external_id} {result.outcome}")

    for wave in range(waves):
        first = wave * wave_size
        calls = [one(person(i), rng.choice(letters)) for i in range(first, first + wave_size)]
        if wave:  # double clicks: earlier users again, with any letter
            calls += [one(person(first - 1 - k), rng.choice(letters)) for k in range(0, 40, 4)]
        rng.shuffle(calls)
        await asyncio.gather(*calls)
    emit("done")
    await runtime.close()


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", help="a SQLite file, or a postgresql:// URL")
    parser.add_argument("--at", required=True, help="the frozen clock, ISO 8601 with offset")
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--waves", type=int, default=400)
    parser.add_argument("--wave-size", type=int, default=200)
    args = parser.parse_args()
    with time_machine.travel(datetime.fromisoformat(args.at), tick=False):
        asyncio.run(run(args.db, args.synchronous, args.waves, args.wave_size))


if __name__ == "__main__":
    main()
