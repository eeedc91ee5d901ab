"""Private drills through the real store: one question at a time, each scored once."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.errors import Forbidden, NotFound, UserError
from bot.core.questions import Kind
from tests.helpers import Harness, user

ALICE = user("Alice")
BOB = user("Bob")


def wrong_letter(question_answer: str) -> str:
    return "a" if question_answer != "a" else "b"


async def test_a_drill_runs_to_its_summary(bot: Harness) -> None:
    drills = bot.services.drills
    session = await drills.start(ALICE, None, count=3)
    assert session.total == 3 and session.position == 0
    assert all(q.kind is Kind.CHOICE for q in session.questions)
    assert len({q.id for q in session.questions}) == 3

    first = session.questions[0]
    feedback = await drills.answer(session.id, ALICE, 0, first.answer.upper())
    assert feedback.correct and feedback.session.correct == 1 and feedback.session.position == 1
    second = session.questions[1]
    feedback = await drills.answer(session.id, ALICE, 1, wrong_letter(second.answer))
    assert not feedback.correct and feedback.session.correct == 1
    feedback = await drills.answer(session.id, ALICE, 2, session.questions[2].answer)
    assert feedback.session.finished and feedback.session.current is None
    assert feedback.session.correct == 2

    totals = await drills.totals(ALICE)
    assert (totals.answered, totals.correct) == (3, 2)
    assert totals.accuracy == pytest.approx(2 / 3)


async def test_a_double_click_is_scored_once(bot: Harness) -> None:
    drills = bot.services.drills
    session = await drills.start(ALICE, None, count=2)
    letter = session.questions[0].answer
    results = await asyncio.gather(
        drills.answer(session.id, ALICE, 0, letter),
        drills.answer(session.id, ALICE, 0, letter),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, UserError)]
    assert len(refused) == 1 and "already answered" in str(refused[0])
    assert (await drills.totals(ALICE)).answered == 1


async def test_only_the_owner_answers_and_the_drill_survives_a_restart(bot: Harness) -> None:
    session = await bot.services.drills.start(ALICE, None, count=2)
    with pytest.raises(Forbidden, match="belongs to someone else"):
        await bot.services.drills.answer(session.id, BOB, 0, "a")
    await bot.restart()
    feedback = await bot.services.drills.answer(session.id, ALICE, 0, session.questions[0].answer)
    assert feedback.correct and feedback.session.questions == session.questions


async def test_stale_and_unknown_sessions(bot: Harness) -> None:
    drills = bot.services.drills
    session = await drills.start(ALICE, None, count=2)
    await drills.answer(session.id, ALICE, 0, "a")
    with pytest.raises(UserError, match="already answered"):
        await drills.answer(session.id, ALICE, 0, "b")
    with pytest.raises(UserError, match="not an option"):
        await drills.answer(session.id, ALICE, 1, "e")
    with pytest.raises(NotFound, match="no longer exists"):
        await drills.answer(9999, ALICE, 0, "a")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "1 to 20"),
        ({"count": 21}, "1 to 20"),
        ({"count": "lots"}, "not a number"),
        ({"topic": "astrology"}, "unknown topic 'astrology'; known topics: ensembles, evaluation"),
        ({"difficulty": "brutal"}, "not a difficulty"),
        ({"topic": "ensembles", "difficulty": "medium"}, "no questions match"),
    ],
)
async def test_bad_drill_arguments_say_what_is_allowed(
    bot: Harness, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        await bot.services.drills.start(ALICE, None, **kwargs)


async def test_a_filtered_drill_is_capped_at_the_pool(bot: Harness) -> None:
    session = await bot.services.drills.start(
        ALICE, None, topic="Evaluation", difficulty="easy", count=5
    )
    assert [q.id for q in session.questions] == ["eval-one"]
