"""kill -9 between two steps of a reveal, then a restart on the same store.

A reveal scores a round in many short transactions. The driver stops after a
chosen step (the close alone, or a few steps in) and is SIGKILLed there; the
store must then hold a round closed to answers with some answers scored and the
rest not, and the next start must finish the reveal: every answer scored once,
every total and streak counted once, one reveal message.

On PostgreSQL "the next start" is whichever process owns the channel once the
dead one's lease has run out; until then the round already refuses answers.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import time_machine

from bot.core.models import AnswerOutcome, RoundStatus, UserRef
from tests.faults.support import (
    FaultHarness,
    assert_intact,
    outlast_the_dead,
    peek,
    read_line,
    spawn,
)
from tests.helpers import MONDAY_8AM

USERS = 300
STEP = 25


async def reveal_and_kill(db: Path | str, after_steps: int) -> int:
    """Run the driver, SIGKILL it once ``after_steps`` reveal writes have
    committed; returns the round."""
    child = spawn(
        "tests.faults.reveal_driver",
        str(db),
        "--at",
        MONDAY_8AM.isoformat(),
        "--users",
        str(USERS),
        "--step",
        str(STEP),
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    try:
        head = await read_line(child.stdout)
        assert head.startswith("ready "), f"driver failed to start: {head!r} {child.stderr.read()}"
        round_id = int(head.split()[1])
        for seen in range(1, after_steps + 1):
            line = await read_line(child.stdout)
            assert line == "step\n", f"expected a step, got {line!r}: {child.stderr.read()}"
            if seen < after_steps:
                child.stdin.write("go\n")
                child.stdin.flush()
        # The child is parked between two transactions: kill it there.
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.to_thread(child.wait)
        assert "done" not in child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()
    assert child.returncode == -signal.SIGKILL
    return round_id


async def scored(db: Path | str, round_id: int) -> tuple[int, int, int | None, str]:
    """(answers scored, answers in all, the progress marker, the status)."""
    ((done, total),) = await peek(
        db, "SELECT COUNT(points), COUNT(*) FROM answers WHERE round_id = ?", round_id
    )
    ((marker, status),) = await peek(
        db, "SELECT scored_upto, status FROM rounds WHERE id = ?", round_id
    )
    return int(done), int(total), marker, str(status)


async def counted_once(db: Path | str, round_id: int) -> None:
    """Every board total and streak equals what the answers alone say."""
    await assert_intact(db)
    answers = dict(
        await peek(db, "SELECT user_id, points FROM answers WHERE round_id = ?", round_id)
    )
    assert len(answers) == USERS and None not in answers.values()
    boards = await peek(db, "SELECT channel_id, period, user_id, points, answered FROM scores")
    streaks = await peek(db, "SELECT user_id, answered, correct FROM streaks")
    levels = await peek(
        db, "SELECT channel_id, period, points, users FROM score_levels WHERE users != 0"
    )
    regrouped = await peek(
        db,
        "SELECT channel_id, period, points, COUNT(*) FROM scores "
        "GROUP BY channel_id, period, points",
    )
    (graded,) = await peek(
        db,
        "SELECT COUNT(*), COUNT(DISTINCT user_id), MAX(c.reps) FROM review_log "
        "JOIN cards c USING (user_id, question_id)",
    )
    # Week, month and all time, for the channel and for the space: six rows each.
    assert len(boards) == 6 * USERS
    for _, _, user_id, points, answered in boards:
        assert (points, answered) == (answers[user_id], 1)
    assert sorted((u, a, c) for u, a, c in streaks) == sorted(
        (u, 1, 1 if answers[u] else 0) for u in answers
    )
    assert sorted(levels) == sorted(regrouped)
    # Each answer graded its card once: one log line and one repetition each.
    assert graded == (USERS, USERS, 1)


@pytest.mark.slow
@pytest.mark.parametrize("after_steps", [1, 4])
async def test_kill9_between_reveal_steps_is_finished_once_by_the_next_start(
    store_target: Path | str, traveller: time_machine.Traveller, after_steps: int
) -> None:
    db = store_target
    round_id = await reveal_and_kill(db, after_steps)

    # As the dead process left it: closed, partly scored (the first write only
    # closes the round; each later one scores a step of answers).
    done, total, marker, status = await scored(db, round_id)
    assert (total, status) == (USERS, RoundStatus.OPEN.value)
    assert marker is not None
    assert done == STEP * (after_steps - 1)

    bot = FaultHarness(db, traveller)
    bot.before_start.append(lambda runtime: _answer_refused(runtime, round_id))
    await bot.start()
    try:
        # On PostgreSQL the dead process may own the channel until its lease
        # runs out; the first renewal after that adopts the round.
        await outlast_the_dead(bot)
        # The round's reveal time is an hour away, yet the begun reveal was
        # finished at start-up: no answer can slip in after part of it.
        assert [s.round.id for s in bot.platform.reveals] == [round_id]
        summary = bot.platform.reveals[0]
        assert (summary.total, summary.correct) == (USERS, USERS // 3)
        assert (await scored(db, round_id))[::3] == (USERS, RoundStatus.REVEALED.value)
        await counted_once(db, round_id)
        assert await bot.services.rounds.reveal(round_id) is None
        await bot.restart()
        assert len(bot.platform.reveals) == 1
        await counted_once(db, round_id)
    finally:
        await bot.stop()


async def _answer_refused(runtime: object, round_id: int) -> None:
    """Before recovery runs, the half-revealed round already refuses answers."""
    store = runtime.store  # type: ignore[attr-defined]
    clock = runtime.services.clock  # type: ignore[attr-defined]
    from bot.core.models import AnswerSubmission

    late = UserRef("test", "late", "late")
    result = (await store.record_answers([AnswerSubmission(round_id, late, "a", clock.now())]))[0]
    assert result.outcome is AnswerOutcome.CLOSED
