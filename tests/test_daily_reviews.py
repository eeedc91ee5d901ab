"""Daily answers feed spaced repetition at the reveal, never before it.

A card that moved the moment someone answered would tell them (through
/review or /stats) whether they were right while the round is still open, so
the reveal is where daily answers become grades: Again when wrong, Easy when
right within ``easy_within_seconds`` of the post, Good when right but slower.
"""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import CHANNEL, Harness, user


async def _log(bot: Harness) -> dict[str, tuple[int, str, str]]:
    rows = await bot.query(
        "SELECT u.external_id, l.grade, l.source, c.due FROM review_log l "
        "JOIN users u ON u.id = l.user_id "
        "JOIN cards c ON c.user_id = l.user_id AND c.question_id = l.question_id"
    )
    return {r[0]: (int(r[1]), str(r[2]), str(r[3])) for r in rows}


async def test_daily_answers_become_card_grades_at_the_reveal(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    question = round_.question
    wrong = next(x for x in question.letters() if x != question.answer)
    await bot.services.rounds.answer(round_.id, user("Quick"), question.answer)
    await bot.services.rounds.answer(round_.id, user("Wrong"), wrong)
    bot.traveller.shift(timedelta(minutes=5))
    await bot.services.rounds.answer(round_.id, user("Slow"), question.answer)

    assert await _log(bot) == {}  # nothing moves while the round is open
    assert await bot.runtime.store.due_card_count(user("Wrong"), bot.now + timedelta(days=1)) == 0

    await bot.services.rounds.reveal(round_.id)
    log = await _log(bot)
    assert {name: (grade, source) for name, (grade, source, _) in log.items()} == {
        "quick": (4, "daily"),  # Easy
        "slow": (3, "daily"),  # Good
        "wrong": (1, "daily"),  # Again
    }
    # Forgotten comes back first; the easy one last.
    assert log["wrong"][2] < log["slow"][2] < log["quick"][2]
    soon = bot.now + timedelta(days=1)
    assert await bot.runtime.store.due_card_count(user("Wrong"), soon) == 1
    assert await bot.runtime.store.due_card_count(user("Quick"), soon) == 0


async def test_a_second_reveal_does_not_grade_the_card_twice(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("Ann"), round_.question.answer)
    await bot.services.rounds.reveal(round_.id)
    await bot.services.rounds.reveal(round_.id)
    await bot.restart()
    rows = await bot.query("SELECT COUNT(*), MAX(reps) FROM review_log, cards")
    assert rows == [(1, 1)]
