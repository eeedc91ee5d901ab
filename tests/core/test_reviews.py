"""The spaced-repetition rules that need no scheduler and no database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.core.models import UserRef
from bot.core.questions import Kind
from bot.core.reviews import (
    CardPhase,
    CardState,
    Grade,
    ReviewItem,
    ReviewSession,
    TopicStanding,
    grade_for_choice,
    is_mastered,
    mastered_until,
    parse_count,
    recall_holds_until,
    topic_order,
    wait_text,
)
from tests.helpers import make_question

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class HalfLife:
    """A stand-in scheduler: recall halves every ``stability`` days, smoothly."""

    def review(self, card: CardState | None, grade: Grade, at: datetime) -> CardState:
        raise NotImplementedError

    def retrievability(self, card: CardState, at: datetime) -> float:
        assert card.last_review is not None and card.stability is not None
        days = (at - card.last_review) / timedelta(days=1)
        return 0.5 ** (max(0.0, days) / card.stability)


def card(stability: float = 4.0, state: CardPhase = CardPhase.REVIEW) -> CardState:
    return CardState(state, None, stability, 5.0, T0 + timedelta(days=4), T0)


@pytest.mark.parametrize(
    ("correct", "seconds", "grade"),
    [
        (False, 1.0, Grade.AGAIN),
        (False, None, Grade.AGAIN),
        (True, 0.0, Grade.EASY),
        (True, 10.0, Grade.EASY),  # the limit itself is still quick
        (True, 10.5, Grade.GOOD),
        (True, None, Grade.GOOD),  # a daily answer: no idea how long it took
        (True, -3.0, Grade.GOOD),  # a clock that went backwards proves nothing
    ],
)
def test_a_choice_answer_as_a_grade(correct: bool, seconds: float | None, grade: Grade) -> None:
    assert grade_for_choice(correct, seconds, easy_within=10) is grade


def test_grades_read_as_words_or_numbers() -> None:
    assert [Grade.parse(w) for w in ("again", "Hard", " good ", "4", 1)] == [
        Grade.AGAIN,
        Grade.HARD,
        Grade.GOOD,
        Grade.EASY,
        Grade.AGAIN,
    ]
    with pytest.raises(UserError, match="again, hard, good or easy"):
        Grade.parse("meh")
    assert Grade.EASY.label == "easy" and int(Grade.HARD) == 2


def test_recall_holds_until_the_threshold_is_crossed() -> None:
    scheduler = HalfLife()
    held = recall_holds_until(scheduler, card(stability=4.0), 0.9)
    # 0.5 ** (d / 4) = 0.9  <=>  d = 4 * log(0.9) / log(0.5)
    exact = T0 + timedelta(days=4 * math.log(0.9) / math.log(0.5))
    assert held is not None and timedelta(0) <= held - exact <= timedelta(minutes=1)
    assert scheduler.retrievability(card(), held) < 0.9
    assert scheduler.retrievability(card(), held - timedelta(minutes=1)) >= 0.9
    assert recall_holds_until(scheduler, card(), 1.01) is None  # never that sure


def test_only_cards_in_long_term_review_count_as_mastered() -> None:
    scheduler = HalfLife()
    learning = card(state=CardPhase.LEARNING)
    assert scheduler.retrievability(learning, T0) == 1.0
    assert not is_mastered(scheduler, learning, T0)
    assert mastered_until(scheduler, learning) is None
    strong = card(stability=40.0)
    until = mastered_until(scheduler, strong)
    assert until is not None
    assert is_mastered(scheduler, strong, until - timedelta(minutes=1))
    assert not is_mastered(scheduler, strong, until)


def test_weakest_topics_first() -> None:
    standings = {
        "ensembles": TopicStanding(reviews=10, correct=9, mastered=1),
        "evaluation": TopicStanding(reviews=10, correct=5, mastered=3),
        "pipelines": TopicStanding(reviews=4, correct=2, mastered=0),
    }
    sizes = {"ensembles": 10, "evaluation": 10, "pipelines": 10, "serving": 10, "ab-tests": 5}
    order = topic_order(sorted(sizes), standings, sizes)
    # Never graded first (by name), then accuracy, then mastery at equal accuracy.
    assert order == ["ab-tests", "serving", "pipelines", "evaluation", "ensembles"]


def test_session_counts() -> None:
    choice = make_question("c1")
    flash = make_question("f1", kind=Kind.OPEN, choices=(), answer="A model answer.")
    items = (ReviewItem(choice), ReviewItem(flash), ReviewItem(flash), ReviewItem(choice))
    session = ReviewSession(
        1,
        UserRef("test", "ann"),
        items,
        3,
        False,
        1,
        (Grade.EASY, Grade.HARD, Grade.HARD),
        T0,
        T0,
    )
    assert session.total == 4 and session.choice_items == 2 and not session.finished
    assert session.current is items[3] and not session.current.flashcard
    assert session.flashcard_grades() == {Grade.HARD: 2}


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "now"),
        (timedelta(seconds=20), "in under a minute"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=10), "in 10 minutes"),
        (timedelta(hours=5, minutes=10), "in 5 hours"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(days=12, hours=3), "in 12 days"),
    ],
)
def test_wait_in_words(delta: timedelta, text: str) -> None:
    assert wait_text(T0, T0 + delta) == text


def test_review_counts_say_what_is_allowed() -> None:
    assert parse_count(None) == 10 and parse_count("7") == 7
    for bad, message in ((0, "1 to 50"), (51, "1 to 50"), ("many", "not a number")):
        with pytest.raises(UserError, match=message):
            parse_count(bad)
