"""The reveal in steps: short write transactions, the same results as one.

A big round's reveal must not hold the single write lock for seconds, so the
store scores it a step at a time. These tests pin the guarantees the steps
must keep: every answer scored once whoever runs the steps, answers refused
from the moment a reveal begins, a failed step finished by the retry, and a
step size that follows the time a step takes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import AnswerOutcome, AnswerSubmission
from bot.storage.rounds import RevealSteps
from tests.helpers import CHANNEL, Harness, user


async def _round_with_answers(bot: Harness, count: int) -> Any:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    question = round_.question
    wrong = next(x for x in question.letters() if x != question.answer)
    for index in range(count):
        if index % 4 == 0:
            bot.traveller.shift(timedelta(seconds=7))
        letter = question.answer if index % 3 == 0 else wrong
        await bot.services.rounds.answer(round_.id, user(f"U{index:03}"), letter)
    return round_


async def _board(bot: Harness) -> list[tuple[Any, ...]]:
    rows = await bot.query(
        "SELECT channel_id, period, user_id, points, correct, answered, reached_at "
        "FROM scores ORDER BY 1, 2, 3"
    )
    streaks = await bot.query("SELECT * FROM streaks ORDER BY user_id")
    return [*rows, *streaks]


def _small_steps(bot: Harness, size: int) -> list[float]:
    assert bot.runtime is not None
    bot.runtime.store.reveal_steps = RevealSteps(first=size, smallest=size, largest=size)
    holds: list[float] = []
    bot.runtime.db.on_hold(holds.append)
    return holds


async def test_a_reveal_in_small_steps_writes_what_one_big_step_writes(
    bot: Harness, tmp_path: Path
) -> None:
    round_ = await _round_with_answers(bot, 50)
    holds = _small_steps(bot, 7)
    summary = await bot.services.rounds.reveal(round_.id)
    assert summary is not None and (summary.total, summary.correct) == (50, 17)
    # One write closes the round, eight score 7 answers each (the last one
    # fewer, which also marks the round revealed).
    assert len(holds) == 1 + 8
    stepped = await _board(bot)

    other = Harness(tmp_path / "one-step.sqlite3", bot.traveller)
    await other.start()
    try:
        bot.traveller.move_to(round_.posted_at)
        again = await _round_with_answers(other, 50)
        assert other.runtime is not None
        other.runtime.store.reveal_steps = RevealSteps(first=5000)
        whole = await other.services.rounds.reveal(again.id)
        assert whole is not None and _figures(whole) == _figures(summary)
        assert await _board(other) == stepped
    finally:
        await other.stop()


def _figures(summary: Any) -> tuple[Any, ...]:
    return (summary.counts, summary.total, summary.correct, summary.first_correct, summary.streaks)


async def test_two_reveals_interleaving_their_steps_score_every_answer_once(
    bot: Harness,
) -> None:
    round_ = await _round_with_answers(bot, 40)
    _small_steps(bot, 3)
    results = await asyncio.gather(
        bot.services.rounds.reveal(round_.id),
        bot.services.rounds.reveal_now(CHANNEL),
        return_exceptions=True,
    )
    summaries = [r for r in results if not isinstance(r, BaseException) and r is not None]
    assert len(summaries) == 1 and summaries[0].total == 40
    assert len(bot.platform.reveals) == 1
    rows = await bot.query("SELECT MAX(answered), COUNT(*) FROM scores WHERE period = 'all'")
    assert rows == [(1, 80)]  # 40 users, channel and space


async def test_answers_are_refused_from_the_moment_a_reveal_begins(bot: Harness) -> None:
    """A step that fails leaves the round closed and partly scored; the retry
    finishes it, and nobody could answer in between."""
    assert bot.runtime is not None
    store = bot.runtime.store
    round_ = await _round_with_answers(bot, 20)
    _small_steps(bot, 6)
    real_step = store._score_step
    calls = 0

    async def second_step_fails(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        await real_step(*args)

    store._score_step = second_step_fails  # type: ignore[method-assign]
    assert await bot.services.rounds.reveal_due(round_.id) is None  # failed, re-armed
    late = AnswerSubmission(round_.id, user("Late"), "a", bot.now)
    assert (await store.record_answers([late]))[0].outcome is AnswerOutcome.CLOSED
    refused = await bot.services.rounds.answer(round_.id, user("Later"), "a")
    assert refused.outcome is AnswerOutcome.CLOSED
    partly = await store.get_round(round_.id)
    assert partly is not None and partly.reveal_begun

    await bot.advance(timedelta(seconds=30))  # the retry job
    assert [s.total for s in bot.platform.reveals] == [20]
    rows = await bot.query(
        "SELECT COUNT(*), MAX(answered), SUM(answered) FROM scores WHERE period = 'all'"
    )
    assert rows == [(40, 1, 40)]


@pytest.mark.parametrize(
    ("size", "taken", "elapsed", "expected"),
    [
        (100, 100, 0.024, 50),  # twice too slow: halve
        (100, 100, 0.003, 200),  # far too fast: grow, but only twofold
        (100, 100, 0.012, 100),  # on target
        (100, 40, 0.001, 100),  # the last, short step says nothing
        (30, 30, 1.0, 20),  # never below the smallest
        (4000, 4000, 0.001, 5000),  # never above the largest
    ],
)
def test_step_size_follows_the_time_a_step_takes(
    size: int, taken: int, elapsed: float, expected: int
) -> None:
    assert RevealSteps().next_size(size, taken, elapsed) == expected
