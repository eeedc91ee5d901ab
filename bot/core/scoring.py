"""Points for a daily answer.

A correct answer earns the base points plus an early bonus that shrinks
linearly from ``early_bonus`` (answered the moment it was posted) to zero (at
the reveal). Time-based rather than rank-based, so a small channel's early
bird is rewarded like a large channel's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import RecordedAnswer, ScoredAnswer


@dataclass(frozen=True, slots=True)
class ScoringRules:
    correct_points: int = 10
    early_bonus: int = 5


def points_for(
    correct: bool,
    answered_at: datetime,
    posted_at: datetime,
    reveals_at: datetime,
    rules: ScoringRules,
) -> int:
    if not correct:
        return 0
    window = (reveals_at - posted_at).total_seconds()
    if window <= 0:
        return rules.correct_points
    left = (reveals_at - answered_at).total_seconds() / window
    left = min(max(left, 0.0), 1.0)
    return rules.correct_points + round(rules.early_bonus * left)


def score_answers(
    answers: Iterable[RecordedAnswer],
    correct_letter: str,
    posted_at: datetime,
    reveals_at: datetime,
    rules: ScoringRules,
) -> list[ScoredAnswer]:
    """Score every answer, earliest first."""
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.user_id))
    return [
        ScoredAnswer(
            user_id=a.user_id,
            user_name=a.user_name,
            choice=a.choice,
            answered_at=a.answered_at,
            correct=a.choice == correct_letter,
            points=points_for(
                a.choice == correct_letter, a.answered_at, posted_at, reveals_at, rules
            ),
        )
        for a in ordered
    ]
