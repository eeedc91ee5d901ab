"""Bank statistics: counts, answer-position balance and the length giveaway."""

from __future__ import annotations

from bot.bank import compute_stats, format_stats
from bot.core.questions import Difficulty, Kind, Question


def choice(qid: str, topic: str, answer: str, choices: tuple[str, ...]) -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty=Difficulty.MEDIUM,
        kind=Kind.CHOICE,
        prompt="Which one is right?",
        answer=answer,
        explanation="Because it is the right one.",
        choices=choices,
    )


def open_question(qid: str, topic: str) -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty=Difficulty.HARD,
        kind=Kind.OPEN,
        prompt="Explain the trade-off.",
        answer="A model answer.",
        explanation="Why that answer is right.",
    )


FOUR = ("one", "two", "three", "four")
QUESTIONS = [
    choice("q-1", "stats", "a", ("the long correct one", "b", "c", "d")),  # giveaway
    choice("q-2", "stats", "a", FOUR),
    choice("q-3", "evaluation", "b", FOUR),
    choice("q-4", "evaluation", "c", ("xxxxx", "yyyyy", "zzzzz", "w")),  # tie: not strictly longest
    choice("q-5", "evaluation", "e", ("a1", "b2", "c3", "d4", "the longest e")),  # giveaway
    open_question("q-6", "evaluation"),
]


def test_counts() -> None:
    stats = compute_stats(QUESTIONS)

    assert stats.total == 6
    assert stats.by_topic == {"evaluation": 4, "stats": 2}
    assert list(stats.by_topic) == ["evaluation", "stats"]
    assert stats.by_difficulty == {Difficulty.EASY: 0, Difficulty.MEDIUM: 5, Difficulty.HARD: 1}
    assert stats.by_kind == {Kind.CHOICE: 5, Kind.OPEN: 1}
    assert stats.by_topic_kind == {
        "evaluation": {Kind.CHOICE: 3, Kind.OPEN: 1},
        "stats": {Kind.CHOICE: 2, Kind.OPEN: 0},
    }


def test_answer_position_shares() -> None:
    stats = compute_stats(QUESTIONS)

    assert stats.four_option_total == 4
    assert stats.answer_share_four == {"a": 0.5, "b": 0.25, "c": 0.25, "d": 0.0}
    assert stats.choice_total == 5
    assert stats.answer_share_all == {"a": 0.4, "b": 0.2, "c": 0.2, "d": 0.0, "e": 0.2}


def test_length_giveaway_counts_only_a_strictly_longest_correct_option() -> None:
    assert compute_stats(QUESTIONS).length_giveaway_share == 0.4


def test_empty_bank() -> None:
    stats = compute_stats([])

    assert stats.total == 0
    assert stats.by_topic == {}
    assert stats.answer_share_four == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}
    assert stats.length_giveaway_share == 0.0
    text = format_stats(stats)
    assert "0 questions in 0 topics" in text
    assert "Length giveaway: no choice questions" in text


def test_format_stats_is_a_readable_table() -> None:
    lines = format_stats(compute_stats(QUESTIONS)).splitlines()

    assert lines[0] == "6 questions in 2 topics"
    assert lines[2].split() == ["topic", "choice", "open", "total"]
    assert ["evaluation", "3", "1", "4"] in [line.split() for line in lines]
    assert ["stats", "2", "0", "2"] in [line.split() for line in lines]
    assert ["total", "5", "1", "6"] in [line.split() for line in lines]
    assert "Difficulty: easy 0, medium 5, hard 1" in lines
    assert ["4", "options", "50%", "25%", "25%", "0%", "-", "4"] in [line.split() for line in lines]
    assert ["all", "40%", "20%", "20%", "0%", "20%", "5"] in [line.split() for line in lines]
    assert (
        "Length giveaway: the correct option is strictly the longest in 2 of 5 "
        "choice questions (40%)"
    ) in lines
    assert "Scenario questions (tagged 'scenario'): 0 of 6 (0%)" in lines
    assert lines[-2].startswith("Absolute wording (always, never, only, ...): 0.0% of correct")
    assert lines[-1].startswith("Cue solver (surface features only): ")
    assert "against chance 24.0%" in lines[-1]  # four 4-option and one 5-option question
