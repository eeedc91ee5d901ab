"""A real kill -9 between posting the daily question and recording the post.

``post_driver`` runs the bot with a platform that delivers the question and
then SIGKILLs its own process, so the round is left in ``posting`` with the
message already on screen. After a restart on that store, at the same minute
and later that day, the channel must not get a second question for the date:
the claimed round is kept, opened and revealed, and the next day is normal.

On PostgreSQL several processes may share the store, so a round claimed less
than a lease ago may still be on its way to the screen from another one: the
restarted process leaves it alone for that long, then takes it back.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.core.models import AnswerOutcome, RoundKind, RoundStatus
from tests.faults.support import (
    CHILD_LIMIT_S,
    FaultHarness,
    on_postgres,
    outlast_the_dead,
    peek,
    spawn,
)
from tests.helpers import CHANNEL, MONDAY_8AM, user

NINE = MONDAY_8AM.replace(hour=9)
TODAY = date(2026, 11, 23)


def posts_in(log: Path) -> list[str]:
    """What the dying platform delivered, one line per message."""
    return log.read_text("utf-8").splitlines()


async def run_driver(db: Path | str, log: Path) -> int:
    child = spawn(
        "tests.faults.post_driver",
        str(db),
        str(log),
        "--at",
        MONDAY_8AM.isoformat(),
        "--post-at",
        "09:00",
    )
    try:
        _, err = await asyncio.wait_for(asyncio.to_thread(child.communicate), CHILD_LIMIT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, f"driver was not killed mid-post: {err}"
    lines = posts_in(log)
    assert len(lines) == 1 and lines[0].endswith(TODAY.isoformat()), lines
    return int(lines[0].split()[1])


@pytest.mark.slow
async def test_kill9_between_post_and_record_never_posts_the_date_twice(
    store_target: Path | str, tmp_path: Path, traveller: time_machine.Traveller
) -> None:
    db, log = store_target, tmp_path / "posted.log"
    posted_id = await run_driver(db, log)
    # The dead process had claimed the date but not confirmed the post.
    assert await peek(db, "SELECT id, status, kind, round_date FROM rounds") == [
        (posted_id, "posting", "scheduled", TODAY.isoformat())
    ]

    bot = FaultHarness(db, traveller)
    try:
        # Same minute: the post job is due now and recovery sees a missed post,
        # yet the claimed date is not posted again; the round is taken back.
        traveller.move_to(NINE)
        await bot.start()
        assert bot.platform.posted == []
        assert bot.runtime is not None
        store = bot.runtime.store
        kept = await store.get_round(posted_id)
        if on_postgres(db):
            # For all this process knows, another one is still posting it: the
            # claim is left alone for a lease, then taken back, not reposted.
            assert kept is not None and kept.status is RoundStatus.POSTING
            await outlast_the_dead(bot)
            assert bot.platform.posted == []
            kept = await store.get_round(posted_id)
        assert kept is not None and kept.status is RoundStatus.OPEN
        schedule = await bot.services.schedules.get(CHANNEL)
        assert await bot.services.rounds.post_scheduled(schedule.id) is None
        # The message that did reach the channel still takes answers.
        answered = await bot.services.rounds.answer(posted_id, user("Alice"), "a")
        assert answered.outcome is AnswerOutcome.ACCEPTED

        # Later that day, inside the grace window, after another restart.
        await bot.restart(at=NINE + timedelta(minutes=20))
        assert bot.platform.posted == []
        await bot.move_to(NINE + timedelta(hours=14))
        assert bot.platform.posted == []
        assert [s.round.id for s in bot.platform.reveals] == [posted_id]
        assert bot.platform.reveals[0].total == 1

        # The next day is posted once, at its time.
        await bot.move_to(NINE + timedelta(days=1, hours=1))
        assert [(r.round_date, r.posted_at) for r in bot.platform.posted] == [
            (TODAY + timedelta(days=1), NINE + timedelta(days=1))
        ]
        per_date = await bot.query(
            "SELECT round_date, COUNT(*) FROM rounds WHERE kind = ? GROUP BY round_date "
            "ORDER BY round_date",
            (RoundKind.SCHEDULED.value,),
        )
        assert per_date == [(TODAY.isoformat(), 1), ((TODAY + timedelta(days=1)).isoformat(), 1)]
        assert len(posts_in(log)) == 1  # the dead process posted once
    finally:
        await bot.stop()
