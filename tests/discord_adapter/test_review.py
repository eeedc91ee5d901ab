"""/review on Discord through the real dispatch path: a private session of
choice items and flashcards edited in place, self-grades clicked twice, a
restart in the middle, an idle session, someone else's clicks, bad counts,
and every bank question fitting Discord's limits as a review card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.discord import limits, render
from bot.adapters.discord.components import REVIEW_ID, ReviewButton, review_view
from bot.adapters.discord.ids import PLATFORM
from bot.core.models import UserRef
from bot.core.questions import Question
from bot.core.reviews import (
    MAX_COUNT,
    Grade,
    QueueStatus,
    ReviewItem,
    ReviewSession,
    ReviewStart,
    ReviewStep,
)
from tests.discord_adapter.fakes import CHANNEL_ID, message_payload
from tests.discord_adapter.test_commands import ALICE, BOB
from tests.discord_adapter.test_limits import BIG_ID, QUESTIONS, check_embed, check_view
from tests.discord_adapter.test_view_store import held
from tests.discord_adapter.world import DEFERRED, DiscordWorld, custom_ids, is_ephemeral, text_of
from tests.test_reviews import rows

ME = UserRef(PLATFORM, str(ALICE), "Alice")
SHOW = "show"
EDITED = 7  # an interaction answered by editing the message its button is on


def grade_id(session_id: int, position: int, grade: Grade) -> str:
    return REVIEW_ID.format(session_id=session_id, position=position, action=f"grade:{grade.value}")


def message_of(response: dict[str, Any]) -> dict[str, Any]:
    """The private session message as a later click on it carries it."""
    return {**message_payload(CHANNEL_ID, response["data"]), "flags": 64}


def actions(message: dict[str, Any]) -> list[str]:
    """The last part of each button's custom_id: a letter, show, or grade:N."""
    return [cid.split(":", 4)[4] for cid in custom_ids(message)]


async def start(world: DiscordWorld, count: int) -> tuple[dict[str, Any], ReviewSession]:
    (response,) = await world.command("review", user_id=ALICE, count=count)
    assert is_ephemeral(response)
    message = message_of(response)
    session_id = int(custom_ids(message)[0].split(":")[2])
    session = await world.harness.services.reviews.session(session_id, ME)
    return response, session


async def press(
    world: DiscordWorld, message: dict[str, Any], action: str, *, user_id: int = ALICE
) -> dict[str, Any]:
    """Click the button of ``message`` whose custom_id ends with ``action``."""
    (cid,) = [c for c in custom_ids(message) if c.split(":", 4)[4] == action]
    (response,) = await world.click(message, cid, user_id=user_id, name="Alice")
    return response


async def play_choice(world: DiscordWorld, message: dict[str, Any], question: Question) -> Any:
    response = await press(world, message, question.answer)
    assert response["type"] == EDITED and "✅ Correct" in text_of(response)
    return response


async def up_to_the_flashcard(world: DiscordWorld) -> tuple[dict[str, Any], ReviewSession, int]:
    """A session of 3 (two choice items, then the bank's flashcard), played up
    to the flashcard; its message and position."""
    response, session = await start(world, 3)
    assert [item.flashcard for item in session.items] == [False, False, True]
    for position in (0, 1):
        response = await play_choice(world, message_of(response), session.items[position].question)
    return response, session, 2


async def test_a_session_of_choice_items_and_a_flashcard_to_the_summary(
    world: DiscordWorld,
) -> None:
    response, session = await start(world, 6)
    assert [item.flashcard for item in session.items].count(True) == 1
    assert response["data"]["embeds"][0]["title"] == "Review of 6 cards"
    assert "0 due, 6 new" in text_of(response) and "**0 cards** due now" in text_of(response)
    assert response["data"]["allowed_mentions"] == {"parse": []}
    for position, item in enumerate(session.items):
        message = message_of(response)
        assert all(cid.split(":")[3] == str(position) for cid in custom_ids(message))
        assert f"card {position + 1} of 6" in text_of(response)
        question = item.question
        if not item.flashcard:
            assert actions(message) == list(question.letters())
            response = await play_choice(world, message, question)
            continue
        assert actions(message) == [SHOW]
        assert question.prompt in text_of(response) and question.answer not in text_of(response)
        shown = await press(world, message, SHOW)
        assert shown["type"] == EDITED
        assert "**Model answer**" in text_of(shown) and question.answer in text_of(shown)
        turned = message_of(shown)
        assert actions(turned) == ["grade:1", "grade:2", "grade:3", "grade:4"]
        labels = [c["label"] for row in turned["components"] for c in row["components"]]
        assert labels == ["Again", "Hard", "Good", "Easy"]
        response = await press(world, turned, "grade:3")
        assert response["type"] == EDITED and "Graded good" in text_of(response)
        assert "This card comes back in 10 minutes." in text_of(response)

    text = text_of(response)
    assert "Review finished" in text and "You reviewed **6 cards**" in text
    assert "Multiple choice: **5 of 5** right" in text and "Flashcards: good 1." in text
    assert "**0 cards** due now; the next is due <t:" in text
    assert response["data"]["components"] == []
    logged = await rows(world.harness, "SELECT COUNT(*) FROM review_log WHERE source = 'review'")
    assert logged == [(6,)]
    # Every button is rebuilt from its custom_id; no message's view is kept in memory.
    assert held(world)["views"] == held(world)["message_views"] == 0

    # Every question now has a card and none is due yet: nothing to review.
    (nothing,) = await world.command("review", user_id=ALICE)
    assert is_ephemeral(nothing) and "Nothing to review" in text_of(nothing)
    assert "the next is due <t:" in text_of(nothing)
    assert nothing["data"].get("components", []) == []


async def test_a_self_grade_clicked_twice_counts_once(world: DiscordWorld) -> None:
    response, session, position = await up_to_the_flashcard(world)
    turned = message_of(await press(world, message_of(response), SHOW))
    first, second = (
        world.click_payload(turned, grade_id(session.id, position, grade), user_id=ALICE, name="A")
        for grade in (Grade.GOOD, Grade.EASY)
    )
    # Both clicks are in flight together, as a fast double click is.
    for payload in (first, second):
        world.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]

    def answered(payload: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in world.fake.responses(int(payload["id"])) if r.get("type") != DEFERRED]

    await world.fake.wait_for(lambda _: all(answered(p) for p in (first, second)))
    await world.harness.settle()
    replies = [answered(p)[0] for p in (first, second)]
    moved = [r for r in replies if r["type"] == EDITED]
    refused = [r for r in replies if r["type"] != EDITED]
    assert len(moved) == 1 and len(refused) == 1
    assert "Review finished" in text_of(moved[0])
    assert is_ephemeral(refused[0]) and "you already answered that one" in text_of(refused[0])
    flashcard = session.items[position].question.id
    logged = await rows(
        world.harness, "SELECT COUNT(*) FROM review_log WHERE question_id = ?", flashcard
    )
    assert logged == [(1,)]
    # A third, late click on the same old button is refused the same way.
    late = await press(world, turned, "grade:4")
    assert is_ephemeral(late) and "already answered" in text_of(late)


async def test_the_old_message_works_after_a_restart(world: DiscordWorld) -> None:
    response, session, position = await up_to_the_flashcard(world)
    before = message_of(response)
    await world.harness.restart()  # a new process: new client, same database
    shown = await press(world, before, SHOW)
    assert shown["type"] == EDITED and session.items[position].question.answer in text_of(shown)
    turned = message_of(shown)
    await world.harness.restart()  # again, between turning the card over and grading it
    done = await press(world, turned, "grade:2")
    assert "Graded hard" in text_of(done) and "Review finished" in text_of(done)
    assert "Flashcards: hard 1." in text_of(done)
    logged = await rows(world.harness, "SELECT COUNT(*) FROM review_log WHERE source = 'review'")
    assert logged == [(3,)]


async def test_an_idle_session_expires_with_a_clear_message(world: DiscordWorld) -> None:
    response, session = await start(world, 3)
    first = session.items[0].question
    response = await play_choice(world, message_of(response), first)
    idle = world.harness.services.reviews.settings.idle
    await world.harness.advance(idle + timedelta(minutes=1))
    expired = await press(world, message_of(response), session.items[1].question.answer)
    assert expired["type"] == EDITED and expired["data"]["components"] == []
    assert expired["data"]["content"].startswith("⌛ this review expired; run /review")
    assert "your earlier grades are saved" in expired["data"]["content"]
    logged = await rows(world.harness, "SELECT question_id FROM review_log")
    assert logged == [(first.id,)]
    again, fresh = await start(world, 1)
    assert fresh.id != session.id and "card 1 of 1" in text_of(again)


async def test_someone_elses_click_is_refused_privately(world: DiscordWorld) -> None:
    response, session = await start(world, 2)
    message = message_of(response)
    stranger = await press(world, message, session.items[0].question.answer, user_id=BOB)
    assert is_ephemeral(stranger) and stranger["type"] != EDITED
    assert "this review belongs to someone else" in text_of(stranger)
    assert (await world.harness.services.reviews.session(session.id, ME)).position == 0
    # The owner's click still counts.
    assert (await play_choice(world, message, session.items[0].question))["type"] == EDITED


@pytest.mark.parametrize("count", [0, MAX_COUNT + 1, -3])
async def test_a_count_out_of_range_is_refused_privately(world: DiscordWorld, count: int) -> None:
    """Discord's client enforces the declared range; a stale registration does not."""
    (response,) = await world.command("review", user_id=ALICE, count=count)
    assert is_ephemeral(response)
    assert f"a review has 1 to {MAX_COUNT} cards; you asked for {count}" in text_of(response)
    assert await rows(world.harness, "SELECT COUNT(*) FROM review_sessions") == [(0,)]


async def test_review_works_in_direct_messages(world: DiscordWorld) -> None:
    (response,) = await world.command("review", user_id=ALICE, guild=False, count=1)
    assert is_ephemeral(response) and "card 1 of 1" in text_of(response)


async def test_help_and_drill_mention_the_review_queue(world: DiscordWorld) -> None:
    (helped,) = await world.command("help")
    assert "`/review [count]`" in text_of(helped)
    drill = world.bot.tree.get_command("drill")
    assert drill is not None
    topic = drill.to_dict(world.bot.tree)["options"][0]
    assert topic["name"] == "topic" and "default: your review queue" in topic["description"]
    review = world.bot.tree.get_command("review")
    assert review is not None
    (count,) = review.to_dict(world.bot.tree)["options"]
    assert (count["min_value"], count["max_value"], count.get("required", False)) == (
        1,
        MAX_COUNT,
        False,
    )


# ---- limits --------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
STATUS = QueueStatus(10**6, NOW + timedelta(days=400))


def session_of(question: Question, position: int = 0, *, revealed: bool = False) -> ReviewSession:
    items = tuple(ReviewItem(question, NOW) for _ in range(MAX_COUNT))
    return ReviewSession(
        id=BIG_ID,
        user=ME,
        items=items,
        position=position,
        revealed=revealed,
        correct=position,
        grades=(Grade.EASY,) * position,
        started_at=NOW,
        active_at=NOW,
    )


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_fits_as_a_review_card(question: Question) -> None:
    session = session_of(question)
    shown = [
        render.review_start_embed(ReviewStart(session, STATUS, 3)),
        render.review_item_embed(session),
    ]
    views = [review_view(session)]
    if question.choices:
        step = ReviewStep(session_of(question, 1), question, Grade.AGAIN, NOW, "a", False)
    else:
        turned = session_of(question, revealed=True)
        shown.append(render.review_item_embed(turned))
        views.append(review_view(turned))
        step = ReviewStep(session_of(question, 1), question, Grade.HARD, NOW)
    last = ReviewStep(session_of(question, MAX_COUNT), question, Grade.GOOD, NOW, status=STATUS)
    for embeds in (
        shown[:2],
        shown[2:],
        render.review_step_embeds(step),
        render.review_step_embeds(last),
    ):
        for embed in embeds:
            check_embed(embed)
        assert sum(len(e) for e in embeds) <= limits.EMBED_TOTAL  # the limit is per message
    for view in views:
        assert view is not None
        check_view(view)
    assert review_view(session_of(question, MAX_COUNT)) is None


def test_review_custom_ids_round_trip_through_their_template() -> None:
    pattern = ReviewButton.__discord_ui_compiled_template__
    for action in ("a", "e", SHOW, *(f"grade:{g.value}" for g in Grade)):
        button = ReviewButton(BIG_ID, MAX_COUNT - 1, action)
        assert button.custom_id is not None and len(button.custom_id) <= limits.CUSTOM_ID
        match = pattern.fullmatch(button.custom_id)
        assert match is not None and match["action"] == action
    for bad in ("f", "grade:5", "grade:0", "shows", "grade:"):
        assert pattern.fullmatch(f"studybot:review:1:0:{bad}") is None
    assert pattern.fullmatch(f"studybot:review:{'1' * 19}:0:a") is None
