"""The domain's ``CardScheduler`` port on py-fsrs, the FSRS scheduler Anki uses.

This is the only module that imports ``fsrs``. It converts the domain's
``CardState`` to the package's ``Card`` and back, so the rules in
``bot/core/reviews.py`` never hold a library object, and a later FSRS release
changes this file only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler, State

from bot.core.reviews import CardPhase, CardState, Grade, mastered_until

_CARD_ID = 0
"""The package keys review logs by card id; we log in our own table, so every
card gets the same id (and the package never sleeps to make a unique one)."""


def _utc(instant: datetime) -> datetime:
    # FSRS refuses any tzinfo but datetime.UTC itself, even an equal offset.
    return instant.astimezone(UTC)


def _to_card(card: CardState) -> Card:
    return Card(
        card_id=_CARD_ID,
        state=State(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=None if card.last_review is None else _utc(card.last_review),
    )


class FsrsScheduler:
    """FSRS with its default parameters (learning steps of 1 and 10 minutes,
    relearning of 10 minutes) and the configured desired retention."""

    def __init__(self, *, desired_retention: float = 0.9, fuzz: bool = True) -> None:
        # Fuzz spreads cards learnt together over a few nearby days so they do
        # not all fall due on the same one; tests turn it off to compare dates.
        self.fsrs = Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)

    def review(self, card: CardState | None, grade: Grade, at: datetime) -> CardState:
        at = _utc(at)
        before = Card(card_id=_CARD_ID, due=at) if card is None else _to_card(card)
        after, _ = self.fsrs.review_card(before, Rating(int(grade)), review_datetime=at)
        lapsed = card is not None and card.state is CardPhase.REVIEW and grade is Grade.AGAIN
        state = CardState(
            state=CardPhase(int(after.state)),
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=after.due,
            last_review=after.last_review,
            reps=(card.reps if card else 0) + 1,
            lapses=(card.lapses if card else 0) + int(lapsed),
        )
        return replace(state, mastered_until=mastered_until(self, state))

    def retrievability(self, card: CardState, at: datetime) -> float:
        return float(self.fsrs.get_card_retrievability(_to_card(card), _utc(at)))
