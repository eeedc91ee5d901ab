"""The CardScheduler port on the real FSRS package: our cards move exactly as
the package moves its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card, Rating, Scheduler

from bot.core.reviews import CardPhase, CardState, Grade, is_mastered
from bot.srs import FsrsScheduler

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def graduated(srs: FsrsScheduler) -> CardState:
    """A card answered Good twice, ten minutes apart: in long-term review."""
    first = srs.review(None, Grade.GOOD, T0)
    return srs.review(first, Grade.GOOD, first.due)


def test_a_new_card_answered_again_comes_back_sooner_than_good() -> None:
    srs = FsrsScheduler(fuzz=False)
    again = srs.review(None, Grade.AGAIN, T0)
    good = srs.review(None, Grade.GOOD, T0)
    easy = srs.review(None, Grade.EASY, T0)
    # FSRS's learning steps: one minute after Again, ten after Good; Easy graduates.
    assert again.due == T0 + timedelta(minutes=1)
    assert good.due == T0 + timedelta(minutes=10)
    assert again.due < good.due < easy.due
    assert (again.state, good.state, easy.state) == (
        CardPhase.LEARNING,
        CardPhase.LEARNING,
        CardPhase.REVIEW,
    )
    assert again.reps == good.reps == 1 and again.last_review == T0


def test_a_card_in_review_answered_again_lapses_and_returns_within_the_day() -> None:
    srs = FsrsScheduler(fuzz=False)
    card = graduated(srs)
    assert card.state is CardPhase.REVIEW and card.due - card.last_review >= timedelta(days=1)
    later = card.due + timedelta(hours=2)
    forgot = srs.review(card, Grade.AGAIN, later)
    recalled = srs.review(card, Grade.GOOD, later)
    assert forgot.state is CardPhase.RELEARNING and forgot.due == later + timedelta(minutes=10)
    assert recalled.due - later > card.due - card.last_review  # the interval grows
    assert forgot.due < recalled.due
    assert (forgot.lapses, recalled.lapses, forgot.reps) == (1, 0, 3)


@pytest.mark.parametrize(
    "grades",
    [
        [Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.GOOD],
        [Grade.AGAIN, Grade.GOOD, Grade.HARD, Grade.EASY, Grade.AGAIN, Grade.GOOD],
        [Grade.EASY, Grade.HARD, Grade.AGAIN, Grade.AGAIN, Grade.GOOD, Grade.GOOD],
    ],
)
def test_due_dates_are_the_packages_own(grades: list[Grade]) -> None:
    """Every state we store round-trips into the package and gives the same
    next card as the package reviewing its own Card all along."""
    srs = FsrsScheduler(fuzz=False)
    theirs = Scheduler(enable_fuzzing=False)
    ours: CardState | None = None
    their_card = Card(card_id=1, due=T0)
    at = T0
    for grade in grades:
        ours = srs.review(ours, grade, at)
        their_card, _ = theirs.review_card(their_card, Rating(int(grade)), at)
        assert ours.due == their_card.due
        assert ours.stability == their_card.stability
        assert ours.difficulty == their_card.difficulty
        assert int(ours.state) == int(their_card.state) and ours.step == their_card.step
        at = ours.due + timedelta(hours=3)  # review each card a little late
        assert srs.retrievability(ours, at) == pytest.approx(
            theirs.get_card_retrievability(their_card, at)
        )


def test_a_higher_desired_retention_means_shorter_intervals() -> None:
    relaxed, strict = FsrsScheduler(fuzz=False), FsrsScheduler(desired_retention=0.97, fuzz=False)
    assert graduated(strict).due < graduated(relaxed).due


def test_local_times_are_accepted_and_stored_in_utc() -> None:
    srs = FsrsScheduler(fuzz=False)
    berlin = T0.astimezone(ZoneInfo("Europe/Berlin"))
    card = srs.review(None, Grade.GOOD, berlin)
    assert card.due == T0 + timedelta(minutes=10) and card.due.tzinfo is UTC


def test_mastered_until_matches_the_recall_probability() -> None:
    srs = FsrsScheduler(fuzz=False)
    card = graduated(srs)
    assert card.mastered_until is not None
    assert is_mastered(srs, card, card.mastered_until - timedelta(minutes=1))
    assert not is_mastered(srs, card, card.mastered_until)
    # Still being learnt: not mastered, though FSRS rates it 1.0 on the same day.
    learning = srs.review(None, Grade.AGAIN, T0)
    assert srs.retrievability(learning, T0) == 1.0
    assert learning.mastered_until is None and not is_mastered(srs, learning, T0)


def test_recall_fades_as_days_pass() -> None:
    srs = FsrsScheduler(fuzz=False)
    card = graduated(srs)
    assert card.last_review is not None
    chances = [srs.retrievability(card, card.last_review + timedelta(days=d)) for d in range(9)]
    assert chances == sorted(chances, reverse=True) and chances[0] == 1.0
