"""What a user's progress chart shows, as plain data.

The spaced-repetition service fills it from the store; `bot/charts.py` draws it.
Keeping the shape here means the chart can be tested without a database and
the review code without matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

MASTERY_RETRIEVABILITY = 0.9
"""A card counts as mastered when its recall probability today is at least this."""


@dataclass(frozen=True)
class TopicProgress:
    """One topic of the bank as one user stands in it."""

    topic: str
    questions: int
    """How many questions the bank has in this topic (the mastery denominator)."""
    answered: int
    correct: int
    mastered: int
    """Questions of this topic whose card is at or above MASTERY_RETRIEVABILITY today."""

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None

    @property
    def mastery(self) -> float:
        return self.mastered / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class ReviewProgress:
    """A user's review queue and history, for /stats and its chart."""

    due_now: int
    next_due: datetime | None
    cards: int
    topics: tuple[TopicProgress, ...]
    reviews_per_day: tuple[tuple[date, int], ...]
    """Oldest first, one entry per day of the window, zero days included."""
