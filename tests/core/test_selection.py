"""Which question a channel gets next: no repeats before every candidate was asked."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.core.errors import UserError
from bot.core.questions import Difficulty, Kind, Question
from bot.core.selection import choose_question


def question(qid: str) -> Question:
    return Question(
        id=qid,
        topic="evaluation",
        difficulty=Difficulty.MEDIUM,
        kind=Kind.CHOICE,
        prompt=f"Question {qid}?",
        answer="a",
        explanation="Because a.",
        choices=("yes", "no"),
    )


QUESTIONS = [question(f"q{i}") for i in range(7)]


def test_no_candidates_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no question in the bank matches"):
        choose_question([], {}, random.Random(1))


def test_single_candidate_is_always_chosen() -> None:
    only = QUESTIONS[0]
    assert choose_question([only], {only.id: 40}, random.Random(0)) is only


def test_picks_among_the_least_asked() -> None:
    asked = {"q0": 2, "q1": 1, "q2": 2, "q3": 1, "q4": 3, "q5": 2, "q6": 2}
    chosen = {choose_question(QUESTIONS, asked, random.Random(seed)).id for seed in range(200)}
    assert chosen == {"q1", "q3"}


def test_never_asked_questions_come_first() -> None:
    asked = {q.id: 5 for q in QUESTIONS[:-1]}  # q6 was never asked
    for seed in range(50):
        assert choose_question(QUESTIONS, asked, random.Random(seed)).id == "q6"


def test_counts_for_questions_no_longer_candidates_are_ignored() -> None:
    asked = {"retired": 0, "q0": 1, "q1": 1}
    assert choose_question(QUESTIONS[:2], asked, random.Random(3)).id in {"q0", "q1"}


@pytest.mark.parametrize("seed", range(5))
def test_every_question_once_before_any_repeat(seed: int) -> None:
    rng = random.Random(seed)
    asked: Counter[str] = Counter()
    history: list[str] = []
    cycles = 4
    for _ in range(len(QUESTIONS) * cycles):
        chosen = choose_question(QUESTIONS, asked, rng)
        asked[chosen.id] += 1
        history.append(chosen.id)
        # Never more than one apart: nobody is repeated while another waits.
        assert max(asked[q.id] for q in QUESTIONS) - min(asked[q.id] for q in QUESTIONS) <= 1
    for cycle in range(cycles):
        block = history[cycle * len(QUESTIONS) : (cycle + 1) * len(QUESTIONS)]
        assert sorted(block) == sorted(q.id for q in QUESTIONS)


def test_deterministic_with_a_seeded_random() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        asked: Counter[str] = Counter()
        picks = []
        for _ in range(20):
            chosen = choose_question(QUESTIONS, asked, rng)
            asked[chosen.id] += 1
            picks.append(chosen.id)
        return picks

    assert run(42) == run(42)
    assert len({tuple(run(seed)) for seed in range(10)}) > 1  # the order does vary by seed


def test_selection_looks_random_across_seeds() -> None:
    firsts = Counter(choose_question(QUESTIONS, {}, random.Random(seed)).id for seed in range(700))
    assert set(firsts) == {q.id for q in QUESTIONS}
