"""Points for a daily answer: base points plus a linear early bonus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.core.models import RecordedAnswer
from bot.core.scoring import ScoringRules, points_for, score_answers

POSTED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
REVEALS = POSTED + timedelta(minutes=100)
RULES = ScoringRules(correct_points=10, early_bonus=5)


def at(minutes: float) -> datetime:
    return POSTED + timedelta(minutes=minutes)


def test_default_rules() -> None:
    assert ScoringRules() == ScoringRules(correct_points=10, early_bonus=5)


@pytest.mark.parametrize(
    ("minutes", "points"),
    [
        (0, 15),  # the moment it was posted: full bonus
        (5, 15),  # 5 * 0.95 = 4.75 -> 5
        (20, 14),  # 5 * 0.8 = 4
        (40, 13),  # 5 * 0.6 = 3
        (60, 12),  # 5 * 0.4 = 2
        (80, 11),  # 5 * 0.2 = 1
        (95, 10),  # 5 * 0.05 = 0.25 -> 0
        (100, 10),  # at the reveal: no bonus
    ],
)
def test_correct_answer_gets_base_plus_linear_bonus(minutes: float, points: int) -> None:
    assert points_for(True, at(minutes), POSTED, REVEALS, RULES) == points


def test_bonus_shrinks_monotonically() -> None:
    points = [points_for(True, at(m), POSTED, REVEALS, RULES) for m in range(0, 101)]
    assert points[0] == 15 and points[-1] == 10
    assert all(a >= b for a, b in pairwise(points))
    assert set(points) == {10, 11, 12, 13, 14, 15}


@pytest.mark.parametrize("minutes", [-30, -0.5])
def test_answer_before_the_post_is_clamped_to_full_bonus(minutes: float) -> None:
    assert points_for(True, at(minutes), POSTED, REVEALS, RULES) == 15


@pytest.mark.parametrize("minutes", [101, 1000])
def test_answer_after_the_reveal_is_clamped_to_no_bonus(minutes: float) -> None:
    assert points_for(True, at(minutes), POSTED, REVEALS, RULES) == 10


@pytest.mark.parametrize("minutes", [-10, 0, 50, 100, 500])
def test_wrong_answer_scores_zero(minutes: float) -> None:
    assert points_for(False, at(minutes), POSTED, REVEALS, RULES) == 0


@pytest.mark.parametrize("reveals", [POSTED, POSTED - timedelta(minutes=5)])
def test_empty_window_gives_base_points_only(reveals: datetime) -> None:
    assert points_for(True, POSTED, POSTED, reveals, RULES) == 10
    assert points_for(False, POSTED, POSTED, reveals, RULES) == 0


def test_custom_rules() -> None:
    rules = ScoringRules(correct_points=3, early_bonus=0)
    assert points_for(True, at(0), POSTED, REVEALS, rules) == 3
    big = ScoringRules(correct_points=100, early_bonus=50)
    assert points_for(True, at(0), POSTED, REVEALS, big) == 150
    assert points_for(True, at(50), POSTED, REVEALS, big) == 125
    assert points_for(True, at(100), POSTED, REVEALS, big) == 100


def answer(user_id: int, choice: str, minutes: float, name: str = "") -> RecordedAnswer:
    return RecordedAnswer(user_id, name or f"user{user_id}", choice, at(minutes))


def test_score_answers_sorts_earliest_first_and_marks_correct() -> None:
    answers = [
        answer(3, "a", 60, "Cy"),
        answer(1, "b", 20, "Ann"),
        answer(2, "b", 0, "Bo"),
        answer(4, "c", 90, "Di"),
    ]
    scored = score_answers(answers, "b", POSTED, REVEALS, RULES)
    assert [s.user_name for s in scored] == ["Bo", "Ann", "Cy", "Di"]
    assert [s.correct for s in scored] == [True, True, False, False]
    assert [s.points for s in scored] == [15, 14, 0, 0]
    assert [s.choice for s in scored] == ["b", "b", "a", "c"]
    assert [s.answered_at for s in scored] == [at(0), at(20), at(60), at(90)]
    assert [s.user_id for s in scored] == [2, 1, 3, 4]


def test_score_answers_ties_are_broken_by_user_id() -> None:
    answers = [answer(9, "a", 10), answer(5, "a", 10), answer(7, "b", 10)]
    scored = score_answers(answers, "a", POSTED, REVEALS, RULES)
    assert [s.user_id for s in scored] == [5, 7, 9]


def test_score_answers_accepts_any_iterable_and_empty() -> None:
    assert score_answers(iter([]), "a", POSTED, REVEALS, RULES) == []
    scored = score_answers((a for a in [answer(1, "d", 40)]), "d", POSTED, REVEALS, RULES)
    assert len(scored) == 1 and scored[0].correct and scored[0].points == 13
