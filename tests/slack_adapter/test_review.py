"""``/studybot review`` through signed requests to the real Bolt app: a private
session edited in place through response_url, the flashcard flow, a self-grade
clicked twice, a restart and an idle session, and every bank question fitting
Block Kit's limits as a review card."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from bot.adapters.slack import blocks
from bot.adapters.slack.app import REVIEW
from bot.adapters.slack.ids import user_ref
from bot.core.questions import Question
from bot.core.reviews import (
    MAX_COUNT,
    FlashcardAnswer,
    Grade,
    ReviewSession,
    ReviewStart,
    ReviewStep,
)
from tests.discord_adapter.test_review import STATUS, session_of
from tests.slack_adapter.fake_api import MEMBER, SECOND
from tests.slack_adapter.test_drill_and_home import buttons
from tests.slack_adapter.test_limits import NOW, QUESTIONS, check_message
from tests.slack_adapter.world import SlackWorld, text_of
from tests.test_reviews import rows

ME = user_ref(MEMBER)


def action(session: ReviewSession, position: int, what: str) -> str:
    return blocks.REVIEW_ACTION.format(session_id=session.id, position=position, action=what)


async def start(world: SlackWorld, count: int) -> tuple[dict[str, Any], ReviewSession]:
    reply = await world.command(f"review {count}", user=MEMBER)
    assert reply["response_type"] == "ephemeral"
    session_id = int(buttons(reply)[0].split(":")[2])
    return reply, await world.harness.services.reviews.session(session_id, ME)


async def click(world: SlackWorld, action_id: str, *, user: str = MEMBER) -> dict[str, Any]:
    reply = await world.click(action_id, user=user)
    assert reply is not None
    return reply


async def test_a_session_with_a_flashcard_runs_in_one_private_message(world: SlackWorld) -> None:
    reply, session = await start(world, 6)
    assert "Review of 6 cards*: 0 due, 6 new" in text_of(reply)
    assert [item.flashcard for item in session.items].count(True) == 1
    for position, item in enumerate(session.items):
        assert f"Review — card {position + 1} of 6" in text_of(reply)
        question = item.question
        if not item.flashcard:
            assert buttons(reply) == [action(session, position, x) for x in question.letters()]
            reply = await click(world, action(session, position, question.answer))
            assert reply["replace_original"] is True and "✅ *Correct*" in text_of(reply)
            continue
        assert buttons(reply) == [action(session, position, "show")]
        assert question.answer not in text_of(reply)
        shown = await click(world, action(session, position, "show"))
        assert shown["replace_original"] is True
        assert "*Model answer*" in text_of(shown) and question.answer in text_of(shown)
        grades = [action(session, position, f"grade:{g.value}") for g in Grade]
        assert buttons(shown) == grades
        reply = await click(world, grades[Grade.EASY - 1])
        assert "Graded *easy*; this card comes back in" in text_of(reply)

    text = text_of(reply)
    assert "Review finished" in text and "You reviewed *6 cards*" in text
    assert "Multiple choice: *5 of 5* right" in text and "Flashcards: easy 1." in text
    assert "*0 cards* due now; the next is due <!date^" in text
    assert buttons(reply) == []
    logged = await rows(world.harness, "SELECT COUNT(*) FROM review_log WHERE source = 'review'")
    assert logged == [(6,)]
    nothing = await world.command("review", user=MEMBER)
    assert "Nothing to review" in text_of(nothing) and buttons(nothing) == []


async def test_a_self_grade_clicked_twice_counts_once(world: SlackWorld) -> None:
    _, session = await start(world, 3)
    position = [item.flashcard for item in session.items].index(True)
    for earlier in range(position):
        await click(world, action(session, earlier, session.items[earlier].question.answer))
    await click(world, action(session, position, "show"))
    good, easy = (action(session, position, f"grade:{g.value}") for g in (Grade.GOOD, Grade.EASY))
    replies = await asyncio.gather(click(world, good), click(world, easy))
    moved = [r for r in replies if r["replace_original"]]
    refused = [r for r in replies if not r["replace_original"]]
    assert len(moved) == 1 and len(refused) == 1
    assert "you already answered that one" in text_of(refused[0]).lower()
    flashcard = session.items[position].question.id
    logged = await rows(
        world.harness, "SELECT COUNT(*) FROM review_log WHERE question_id = ?", flashcard
    )
    assert logged == [(1,)]


async def test_a_restart_mid_session_and_someone_elses_click(world: SlackWorld) -> None:
    _, session = await start(world, 2)
    first = session.items[0].question
    stranger = await click(world, action(session, 0, first.answer), user=SECOND)
    assert stranger["replace_original"] is False
    assert "belongs to someone else" in text_of(stranger)
    await world.harness.restart()
    step = await click(world, action(session, 0, first.answer))
    assert "✅ *Correct*" in text_of(step) and "card 2 of 2" in text_of(step)


async def test_an_idle_session_expires_in_place(world: SlackWorld) -> None:
    _, session = await start(world, 2)
    await world.harness.advance(world.harness.services.reviews.settings.idle)
    expired = await click(world, action(session, 0, "a"))
    assert expired["replace_original"] is True and buttons(expired) == []
    assert "⌛ This review expired; run /studybot review to start again" in text_of(expired)
    assert "(your earlier grades are saved)" in text_of(expired)
    assert await rows(world.harness, "SELECT COUNT(*) FROM review_log") == [(0,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("review 0", f"A review has 1 to {MAX_COUNT} cards; you asked for 0"),
        (f"review {MAX_COUNT + 1}", f"A review has 1 to {MAX_COUNT} cards"),
        (
            "review lots",
            "Usage: /studybot review [COUNT] (1 to 50 cards), or /studybot review stop",
        ),
        ("review stop", "There is nothing to stop: every card is saved as you go"),
    ],
)
async def test_review_arguments(world: SlackWorld, text: str, expected: str) -> None:
    reply = await world.command(text, user=MEMBER)
    assert reply["response_type"] == "ephemeral" and expected in text_of(reply)
    assert buttons(reply) == []


async def test_help_mentions_review(world: SlackWorld) -> None:
    assert "/studybot review [count]" in text_of(await world.command("help"))


# ---- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_fits_as_a_review_card(question: Question) -> None:
    session = dataclasses.replace(session_of(question), user=ME)
    payloads = [blocks.review_start_message(ReviewStart(session, STATUS, 3))]
    if question.choices:
        step = ReviewStep(session_of(question, 1), question, Grade.AGAIN, NOW, "a", False)
    else:
        turned = dataclasses.replace(session, revealed=True)
        payloads.append(blocks.review_shown_message(FlashcardAnswer(turned, question)))
        step = ReviewStep(session_of(question, 1), question, Grade.HARD, NOW)
    last = ReviewStep(session_of(question, MAX_COUNT), question, Grade.GOOD, NOW, status=STATUS)
    payloads += [blocks.review_step_message(step), blocks.review_step_message(last)]
    for payload in payloads:
        check_message(payload)
        for button in buttons(payload):
            assert REVIEW.fullmatch(button)
    assert buttons(payloads[-1]) == []


def test_nothing_to_review_and_stop_fit() -> None:
    check_message(blocks.review_start_message(ReviewStart(None, STATUS)))
    check_message(blocks.review_stop_message(24 * 60))
