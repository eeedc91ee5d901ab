"""kill -9 in the middle of an answer burst, then a restart on the same store.

The child (``answer_driver``) is the real runtime answering thousands of users
concurrently; it prints a line for every acknowledged answer. The parent
SIGKILLs it after a few hundred acknowledgements, while waves are still being
committed, and then checks the promises the README makes: an acknowledged
answer is durable, nobody is counted twice, and the round is revealed and
scored exactly once however often the bot restarts afterwards.

It runs on a SQLite file (with either ``synchronous`` setting) and on a
PostgreSQL database, where the kill drops the child's connections mid-batch
and its lease outlives it until it runs out.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.core.models import AnswerOutcome, RoundStatus, UserRef
from tests.faults.support import (
    FaultHarness,
    assert_intact,
    on_postgres,
    outlast_the_dead,
    peek,
    read_line,
    spawn,
)
from tests.helpers import MONDAY_8AM

KILL_AFTER_ACKS = 400
PRAGMA_SYNCHRONOUS = {"NORMAL": "1", "FULL": "2"}
NO_PRAGMA = "-"
"""What the driver reports for ``synchronous`` on PostgreSQL."""


def person(external_id: str) -> UserRef:
    """The same identity the driver used (its name does not matter here)."""
    return UserRef("test", external_id, "")


async def burst_and_kill(db: Path | str, synchronous: str) -> tuple[int, dict[str, str], list[str]]:
    """Run the driver, SIGKILL it mid-burst; return its round, the acknowledged
    (user -> choice) and every other line it printed."""
    child = spawn(
        "tests.faults.answer_driver",
        str(db),
        "--at",
        MONDAY_8AM.isoformat(),
        "--synchronous",
        synchronous,
    )
    assert child.stdout is not None and child.stderr is not None
    acked: dict[str, str] = {}
    other: list[str] = []

    def take(line: str) -> None:
        kind, *rest = line.split()
        if kind == "ack":
            user, choice = rest
            assert user not in acked, f"{user} was acknowledged twice"
            acked[user] = choice
        else:
            other.append(line.strip())

    try:
        head = await read_line(child.stdout)
        assert head.startswith("ready "), f"driver failed to start: {head!r} {child.stderr.read()}"
        _, round_id, pragma = head.split()
        # The setting reached the connection the answers are written on.
        assert pragma == (NO_PRAGMA if on_postgres(db) else PRAGMA_SYNCHRONOUS[synchronous])
        while len(acked) < KILL_AFTER_ACKS:
            line = await read_line(child.stdout)
            assert line, f"driver ended before the kill: {child.stderr.read()}"
            take(line)
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.to_thread(child.wait)
        # Lines still in the pipe were written before the kill: they were
        # acknowledged too. A torn last line (no newline) is not an ack.
        for line in child.stdout.read().splitlines(keepends=True):
            if line.endswith("\n"):
                take(line)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert "done" not in other, "the burst finished before the kill; make it longer"
    assert not [line for line in other if line.startswith("unexpected")]
    return int(round_id), acked, other


async def stored_answers(db: Path | str, round_id: int) -> tuple[dict[str, str], int]:
    """(user -> choice) in the answers table, and the raw row count."""
    await assert_intact(db)
    rows = await peek(
        db,
        "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id "
        "WHERE a.round_id = ?",
        round_id,
    )
    return dict(rows), len(rows)


async def score_totals(db: Path | str, round_id: int) -> list[tuple[Any, ...]]:
    """Per (scope, period): rows, sum of ``answered``, max of ``answered``."""
    ((channel_id, space_id),) = await peek(
        db, "SELECT channel_id, space_id FROM rounds WHERE id = ?", round_id
    )
    return await peek(
        db,
        "SELECT channel_id, period, COUNT(*), SUM(answered), MAX(answered) FROM scores "
        "WHERE space_id = ? AND channel_id IN (?, 0) GROUP BY channel_id, period "
        "ORDER BY channel_id, period",
        space_id,
        channel_id,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("store_target", "synchronous"),
    [
        ("sqlite", "NORMAL"),
        ("sqlite", "FULL"),
        pytest.param("postgres", "NORMAL", id="postgres"),  # no such setting there
    ],
    indirect=["store_target"],
)
async def test_kill9_mid_burst_keeps_every_acknowledged_answer_and_reveals_once(
    store_target: Path | str, traveller: time_machine.Traveller, synchronous: str
) -> None:
    db = store_target
    round_id, acked, other = await burst_and_kill(db, synchronous)

    # Read the store the way the dead process left it, before the bot opens it.
    stored, rows = await stored_answers(db, round_id)
    assert rows == len(stored), "a user has two answers in one round"
    missing = {user: choice for user, choice in acked.items() if stored.get(user) != choice}
    assert not missing, f"{len(missing)} acknowledged answers lost or changed, e.g. {missing}"
    # A refused repeat reports the first answer, which is the one kept.
    for line in other:
        kind, user, choice = line.split()
        assert kind == "again" and stored[user] == choice

    # Restart on the same store, at the same instant: the round is restored, open.
    bot = FaultHarness(db, traveller, database={"synchronous": synchronous})
    await bot.start()
    try:
        assert bot.runtime is not None
        store, rounds = bot.runtime.store, bot.services.rounds
        round_ = await store.get_round(round_id)
        assert round_ is not None and round_.status is RoundStatus.OPEN
        if on_postgres(db):
            # The dead process may still own the channel until its lease runs out.
            await outlast_the_dead(bot)
        else:
            pragma = await bot.query("PRAGMA synchronous")
            assert pragma == [(int(PRAGMA_SYNCHRONOUS[synchronous]),)]
        someone, choice = next(iter(acked.items()))
        again = await rounds.answer(round_id, person(someone), "abcd".replace(choice, "")[0])
        assert (again.outcome, again.choice) == (AnswerOutcome.ALREADY_ANSWERED, choice)
        late = await rounds.answer(round_id, person("after-restart"), "a")
        assert late.outcome is AnswerOutcome.ACCEPTED
        total = len(stored) + 1

        await bot.move_to(round_.reveals_at)
        assert [s.round.id for s in bot.platform.reveals] == [round_id]
        assert bot.platform.reveals[0].total == total
        totals = await score_totals(db, round_id)
        # Week, month and all time, for the channel and for the whole space.
        assert len(totals) == 6
        assert all(t[2:] == (total, total, 1) for t in totals), totals

        # Reveal again, twice at once, and restart twice: nothing more happens.
        twice = await asyncio.gather(rounds.reveal(round_id), rounds.reveal(round_id))
        assert list(twice) == [None, None]
        await bot.restart(at=round_.reveals_at + timedelta(hours=1))
        await bot.restart()
        assert await bot.services.rounds.reveal(round_id) is None
        await bot.advance(timedelta(days=1))
        assert len(bot.platform.reveals) == 1
        assert await score_totals(db, round_id) == totals
        closed = await bot.services.rounds.answer(round_id, person("too-late"), "a")
        assert closed.outcome is AnswerOutcome.CLOSED
    finally:
        await bot.stop()
