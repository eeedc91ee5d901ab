"""Bank statistics that help authors keep the bank balanced.

Besides plain counts this measures two habits that let candidates guess
instead of know: always putting the answer in the same position, and making
the correct option the longest one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.bank.cues import CueReport, cue_report
from bot.core.questions import LETTERS, Difficulty, Kind, Question

SCENARIO_TAG = "scenario"


@dataclass(frozen=True)
class BankStats:
    """Counts and shares over a set of questions; shares are fractions in 0..1.

    ``answer_share_four`` only looks at choice questions with exactly four
    options, where the fair share is a clean 25% per letter;
    ``answer_share_all`` covers every choice question.
    """

    total: int
    by_topic: dict[str, int]
    by_difficulty: dict[Difficulty, int]
    by_kind: dict[Kind, int]
    by_topic_kind: dict[str, dict[Kind, int]]
    choice_total: int
    four_option_total: int
    answer_share_four: dict[str, float]
    answer_share_all: dict[str, float]
    length_giveaway_share: float
    scenario_share: float = 0.0
    """Questions tagged ``scenario``: set in a realistic situation."""
    cues: CueReport | None = None
    """Wording cues and the cue solver's score (see bot/bank/cues.py)."""


def compute_stats(questions: Iterable[Question]) -> BankStats:
    items = list(questions)
    choice = [q for q in items if q.kind is Kind.CHOICE]
    four = [q for q in choice if len(q.choices) == 4]
    topics = sorted({q.topic for q in items})
    topic_kind = Counter((q.topic, q.kind) for q in items)
    difficulties = Counter(q.difficulty for q in items)
    kinds = Counter(q.kind for q in items)
    giveaways = sum(1 for q in choice if _correct_is_strictly_longest(q))
    return BankStats(
        total=len(items),
        by_topic=dict(sorted(Counter(q.topic for q in items).items())),
        by_difficulty={d: difficulties[d] for d in Difficulty},
        by_kind={k: kinds[k] for k in Kind},
        by_topic_kind={t: {k: topic_kind[(t, k)] for k in Kind} for t in topics},
        choice_total=len(choice),
        four_option_total=len(four),
        answer_share_four=_shares(LETTERS[:4], (q.answer for q in four)),
        answer_share_all=_shares(LETTERS, (q.answer for q in choice)),
        length_giveaway_share=giveaways / len(choice) if choice else 0.0,
        scenario_share=sum(1 for q in items if SCENARIO_TAG in q.tags) / len(items)
        if items
        else 0.0,
        cues=cue_report(choice),
    )


def _shares(letters: str, answers: Iterable[str]) -> dict[str, float]:
    counts = Counter(answers)
    total = sum(counts.values())
    return {letter: counts[letter] / total if total else 0.0 for letter in letters}


def _correct_is_strictly_longest(question: Question) -> bool:
    sizes = [len(c) for c in question.choices]
    correct = sizes.pop(question.correct_index)
    return bool(sizes) and correct > max(sizes)


def format_stats(stats: BankStats) -> str:
    """A plain-text report that reads the same in a terminal and in a code block."""
    lines = [
        f"{stats.total} questions in {len(stats.by_topic)} topics",
        "",
        *_topic_table(stats),
        "",
        "Difficulty: " + ", ".join(f"{d.value} {n}" for d, n in stats.by_difficulty.items()),
        "",
        "Correct option position (choice questions; even spread is best)",
        "           " + "".join(f"{letter:>6}" for letter in LETTERS) + "       n",
        _share_row("4 options", stats.answer_share_four, stats.four_option_total),
        _share_row("all", stats.answer_share_all, stats.choice_total),
        "",
        _giveaway_line(stats),
        f"Scenario questions (tagged {SCENARIO_TAG!r}): "
        f"{round(stats.scenario_share * stats.total)} of {stats.total} ({stats.scenario_share:.0%})",
        *_cue_lines(stats.cues),
    ]
    return "\n".join(lines)


def _cue_lines(cues: CueReport | None) -> list[str]:
    if cues is None or not cues.questions:
        return []
    return [
        f"Absolute wording (always, never, only, ...): {cues.absolute_correct:.1%} of correct "
        f"options, {cues.absolute_distractors:.1%} of distractors "
        f"(gap {100 * cues.absolute_gap:+.1f} points)",
        f"Cue solver (surface features only): {cues.solver_score:.1%} against chance "
        f"{cues.chance:.1%} ({100 * cues.solver_edge:+.1f} points; best rule: {cues.solver_rule})",
    ]


def _topic_table(stats: BankStats) -> list[str]:
    width = max([len("topic"), len("total"), *map(len, stats.by_topic)])
    kinds = list(Kind)
    header = f"{'topic':<{width}}" + "".join(f"{k.value:>8}" for k in kinds) + f"{'total':>8}"
    rows = [header, "-" * len(header)]
    for topic, per_kind in stats.by_topic_kind.items():
        cells = "".join(f"{per_kind[k]:>8}" for k in kinds)
        rows.append(f"{topic:<{width}}{cells}{stats.by_topic[topic]:>8}")
    rows.append("-" * len(header))
    cells = "".join(f"{stats.by_kind[k]:>8}" for k in kinds)
    rows.append(f"{'total':<{width}}{cells}{stats.total:>8}")
    return rows


def _share_row(label: str, shares: dict[str, float], total: int) -> str:
    cells = "".join(
        f"{shares[letter]:>6.0%}" if letter in shares and total else f"{'-':>6}"
        for letter in LETTERS
    )
    return f"{label:<11}{cells}{total:>8}"


def _giveaway_line(stats: BankStats) -> str:
    if not stats.choice_total:
        return "Length giveaway: no choice questions"
    count = round(stats.length_giveaway_share * stats.choice_total)
    return (
        f"Length giveaway: the correct option is strictly the longest in {count} of "
        f"{stats.choice_total} choice questions ({stats.length_giveaway_share:.0%})"
    )
