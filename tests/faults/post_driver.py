"""Child process for the crash-mid-post test.

    python -m tests.faults.post_driver DB LOG --at ISO --post-at HH:MM

Opens the real runtime on DB (a SQLite file or a ``postgresql://`` URL) with the clock frozen at ``--at``, sets up a
daily schedule in UTC at ``--post-at``, moves the clock to that time and lets
the real APScheduler job fire. The platform's ``post_question`` appends what
it "posted" to LOG (flushed and fsynced, so the parent sees it after the
kill), then SIGKILLs its own process before returning: the message is on
screen but ``mark_posted`` never ran. If the kill does not come, the driver
exits with status 3 so the parent fails loudly instead of hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
from datetime import datetime, timedelta
from pathlib import Path

import time_machine

from bot.app import build_runtime
from bot.config import Settings
from bot.core.models import ChannelRef, Round
from tests.faults.support import store_settings
from tests.helpers import RecordingPlatform, small_bank

CHANNEL = ChannelRef("test", "space-1", "chan-1")
NO_KILL_EXIT = 3


class DyingPlatform(RecordingPlatform):
    """Delivers the question (writes it to the log), then the process dies."""

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.log = log

    async def post_question(self, round_: Round) -> str | None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"posted {round_.id} {round_.round_date.isoformat()}\n")
            out.flush()
            os.fsync(out.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
        return f"msg-{round_.id}"  # pragma: no cover - never reached


async def run(db: str, log: Path, post_at: datetime, traveller: time_machine.Traveller) -> None:
    settings = Settings(database=store_settings(db))
    runtime = await build_runtime(settings, bank=small_bank(), rng=random.Random(5))
    runtime.platforms["test"] = DyingPlatform(log)
    await runtime.start()
    await runtime.services.schedules.setup(
        CHANNEL, at=post_at.strftime("%H:%M"), timezone="UTC", reveal_after="30m"
    )
    traveller.move_to(post_at)
    runtime.scheduler.wakeup()  # the real post job fires and posts
    await asyncio.sleep(30)  # a guard only: the kill ends the process long before this
    raise SystemExit(NO_KILL_EXIT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", help="a SQLite file, or a postgresql:// URL")
    parser.add_argument("log", type=Path)
    parser.add_argument("--at", required=True, help="the frozen clock, ISO 8601 with offset")
    parser.add_argument("--post-at", required=True, help="HH:MM UTC, later that day")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.at)
    hour, minute = (int(part) for part in args.post_at.split(":"))
    post_at = start.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if post_at <= start:
        post_at += timedelta(days=1)
    with time_machine.travel(start, tick=False) as traveller:
        asyncio.run(run(args.db, args.log, post_at, traveller))


if __name__ == "__main__":
    main()
