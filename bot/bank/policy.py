"""Bank-wide rules: coverage of the syllabus, balance, and near-duplicates.

Single questions are checked as they load (``schema.py``); these rules only
make sense over the whole bank, so they run in ``studybot bank check`` and
never at start-up, where a team's small pack would trip them for no reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from bot.bank.problems import Problem
from bot.bank.stats import SCENARIO_TAG, compute_stats
from bot.bank.syllabus import Syllabus
from bot.core.questions import LETTERS, Difficulty, Kind, Question

_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no meaning about what a question asks.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "model",
        "models",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "up",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "most",
        "best",
        "following",
        "than",
        "one",
        "two",
        "each",
        "more",
        "less",
        "not",
    ]
)


@dataclass(frozen=True)
class DuplicatePair:
    first: Question
    second: Question
    overlap: float


def check_policy(questions: Sequence[Question], syllabus: Syllabus) -> list[Problem]:
    """Every way the bank falls short of ``syllabus``, as warnings with locations."""
    problems: list[Problem] = []
    problems += _coverage(questions, syllabus)
    problems += _balance(questions, syllabus)
    problems += [
        _at(
            pair.second,
            "prompt",
            f"asks much the same as {pair.first.id} ({pair.first.source}): "
            f"{pair.overlap:.0%} of their words overlap; merge them or change the angle",
        )
        for pair in near_duplicates(questions, syllabus.targets.near_duplicate_threshold)
    ]
    return problems


def _coverage(questions: Sequence[Question], syllabus: Syllabus) -> list[Problem]:
    problems: list[Problem] = []
    targets = syllabus.targets
    counts = Counter((q.topic, q.kind) for q in questions)
    covered: set[str] = set()
    for q in questions:
        points = syllabus.topics.get(q.topic)
        if points is None:
            continue
        mine = [t for t in q.tags if t in points]
        covered.update(mine)
        if not mine:
            allowed = ", ".join(points)
            message = f"names none of its topic's points; add one of these tags: {allowed}"
            problems.append(_at(q, "tags", message))
    for topic, points in syllabus.topics.items():
        for kind, minimum in (
            (Kind.CHOICE, targets.min_choice_per_topic),
            (Kind.OPEN, targets.min_open_per_topic),
        ):
            have = counts[(topic, kind)]
            if have < minimum:
                message = f"needs at least {minimum} {kind.value} questions, has {have}"
                problems.append(_bank(syllabus, f"topics.{topic}", message))
        for slug, text in points.items():
            if slug not in covered:
                message = f"no question covers {text!r}; tag one with {slug!r}"
                problems.append(_bank(syllabus, f"topics.{topic}.{slug}", message))
    return problems


def _balance(questions: Sequence[Question], syllabus: Syllabus) -> list[Problem]:
    targets = syllabus.targets
    stats = compute_stats(questions)
    problems: list[Problem] = []

    def short(field: str, message: str) -> None:
        problems.append(_bank(syllabus, f"targets.{field}", message))

    for kind, minimum in (
        (Kind.CHOICE, targets.min_choice_total),
        (Kind.OPEN, targets.min_open_total),
    ):
        if stats.by_kind[kind] < minimum:
            short(
                f"min_{kind.value}_total",
                f"the bank has {stats.by_kind[kind]} {kind.value} questions; target {minimum}",
            )
    if stats.choice_total:
        choice = [q for q in questions if q.kind is Kind.CHOICE]
        by_difficulty = Counter(q.difficulty for q in choice)
        for difficulty in Difficulty:
            share = by_difficulty[difficulty] / len(choice)
            if share < targets.min_difficulty_share:
                short(
                    "min_difficulty_share",
                    f"{difficulty.value} is {share:.0%} of choice questions; "
                    f"target at least {targets.min_difficulty_share:.0%}",
                )
        if stats.length_giveaway_share > targets.max_longest_correct_share:
            short(
                "max_longest_correct_share",
                f"the correct option is the longest in {stats.length_giveaway_share:.0%} of "
                f"choice questions; target at most {targets.max_longest_correct_share:.0%}",
            )
    if stats.four_option_total:
        for letter in LETTERS[:4]:
            share = stats.answer_share_four[letter]
            if share > targets.max_position_share:
                short(
                    "max_position_share",
                    f"option {letter} is correct in {share:.0%} of 4-option questions; "
                    f"target at most {targets.max_position_share:.0%}",
                )
    cues = stats.cues
    if cues is not None and cues.questions and abs(cues.absolute_gap) > targets.max_absolute_gap:
        more, fewer = (
            ("distractors", "correct options")
            if cues.absolute_gap > 0
            else ("correct options", "distractors")
        )
        short(
            "max_absolute_gap",
            f"absolute wording (always, never, only, ...) is in {cues.absolute_distractors:.1%} "
            f"of distractors and {cues.absolute_correct:.1%} of correct options, so a reader can "
            f"guess by it; {more} must not use it more than {100 * targets.max_absolute_gap:.0f} "
            f"points more often than {fewer}",
        )
    if questions:
        scenario = sum(1 for q in questions if SCENARIO_TAG in q.tags) / len(questions)
        if scenario < targets.min_scenario_share:
            short(
                "min_scenario_share",
                f"{scenario:.0%} of questions are tagged {SCENARIO_TAG!r}; "
                f"target at least {targets.min_scenario_share:.0%}",
            )
    return problems


def near_duplicates(questions: Sequence[Question], threshold: float) -> list[DuplicatePair]:
    """Pairs whose prompt and answer share at least ``threshold`` of their words.

    Word-set overlap (Jaccard) on lowercased words without filler is crude but
    catches the real failure: the same question pasted twice with light edits.
    """
    words = [(q, _content_words(q)) for q in questions]
    pairs: list[DuplicatePair] = []
    for (a, wa), (b, wb) in combinations(words, 2):
        if not wa or not wb:
            continue
        smaller, larger = sorted((len(wa), len(wb)))
        if smaller / larger < threshold:
            continue  # too different in size to reach the threshold
        overlap = len(wa & wb) / len(wa | wb)
        if overlap >= threshold:
            pairs.append(DuplicatePair(a, b, overlap))
    return pairs


def _content_words(question: Question) -> frozenset[str]:
    text = question.prompt
    if question.kind is Kind.CHOICE:
        text += " " + question.choices[question.correct_index]
    return frozenset(
        word.removesuffix("s")
        for word in _WORD.findall(text.lower())
        if word not in _STOPWORDS and len(word) > 1
    )


def _at(question: Question, field: str, message: str) -> Problem:
    file, _, line = question.source.rpartition(":")
    return Problem(
        file or question.source,
        int(line) if line.isdigit() else 0,
        question.id,
        field,
        message,
        "warning",
    )


def _bank(syllabus: Syllabus, field: str, message: str) -> Problem:
    return Problem(syllabus.source, 0, None, field, message, "warning")
