"""Answer cues: a reader who knows no ML must not beat chance on our bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank import load_bank
from bot.bank.cues import credit, cue_report, is_absolute, is_hedged, rules
from bot.bank.policy import check_policy
from bot.bank.syllabus import Syllabus, Targets
from tests.helpers import make_question

REPO = Path(__file__).resolve().parents[2]
CUE_EDGE = 0.03
"""The most the cue solver may score above chance on the bundled bank."""


@pytest.mark.parametrize(
    ("text", "absolute"),
    [
        ("It always converges", True),
        ("Only the last layer changes", True),
        ("It CANNOT overfit", True),
        ("Use an all-reduce after each step", False),  # a compound, not a claim
        ("A weight-only quantisation", False),
        ("It usually converges", False),
    ],
)
def test_absolute_wording_is_found_by_whole_word(text: str, absolute: bool) -> None:
    assert is_absolute(text) is absolute


def test_hedges() -> None:
    assert is_hedged("It may help") and not is_hedged("It helps")


def test_a_bank_with_a_wording_cue_is_caught() -> None:
    """Correct options hedge, distractors are absolute: the solver finds it."""
    questions = [
        make_question(
            f"cue-{i}",
            answer="abcd"[i % 4],
            choices=tuple(
                "It usually helps a little" if j == i % 4 else f"It always fails, case {j}"
                for j in range(4)
            ),
        )
        for i in range(40)
    ]
    report = cue_report(questions)
    assert report.absolute_correct == 0.0 and report.absolute_distractors == 1.0
    assert report.solver_score == 1.0 and report.chance == 0.25
    problems = check_policy(questions, Syllabus(topics={}, targets=Targets(max_absolute_gap=0.05)))
    assert any(p.field == "targets.max_absolute_gap" for p in problems)


def test_ties_are_guesses() -> None:
    plain = make_question("cue-tie", choices=("one", "two", "six", "ten"))
    assert credit(plain, rules()["prefer absolute wording"]) == 0.25


def test_the_bundled_bank_gives_no_cue() -> None:
    report = cue_report(load_bank([REPO / "questions"]).questions)
    assert report.questions >= 450
    assert abs(report.absolute_gap) <= 0.05, report
    assert report.solver_edge <= CUE_EDGE, (
        f"{report.solver_rule!r} scores {report.solver_score:.1%} against chance "
        f"{report.chance:.1%}"
    )
