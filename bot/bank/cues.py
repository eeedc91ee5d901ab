"""Answer cues: what a test-wise reader with no ML knowledge could exploit.

A well-written bank gives such a reader nothing better than chance. The
classic cues are wording (wrong options say "always" and "never", the right
one hedges), length (the right one is the careful, longer one) and echo (the
right one repeats the prompt's words). This module measures them: the share
of correct options and of distractors with absolute wording, and a *cue
solver* that answers every choice question from those surface features alone:
it tries simple rules (strike the absolute options, take the longest, take the
one that echoes the prompt least, ...) and keeps the one that scores best.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.questions import Kind, Question

ABSOLUTE_WORDS = frozenset(
    {
        "always",
        "never",
        "only",
        "guarantee",
        "guarantees",
        "guaranteed",
        "every",
        "cannot",
        "can't",
        "all",
        "must",
        "impossible",
        "completely",
        "entirely",
        "none",
        "no",
        "nothing",
        "any",
        "exactly",
        "certainly",
        "solely",
    }
)
HEDGE_WORDS = frozenset(
    {
        "usually",
        "often",
        "typically",
        "may",
        "might",
        "can",
        "could",
        "generally",
        "likely",
        "sometimes",
        "tends",
        "tend",
        "mostly",
        "probably",
        "some",
        "roughly",
    }
)
# Words as a reader sees them: a hyphenated compound ("all-reduce",
# "weight-only") is one word, and says nothing absolute.
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "be",
        "by",
        "with",
        "as",
        "at",
        "it",
        "its",
        "this",
        "that",
        "from",
        "which",
        "what",
        "when",
        "why",
        "how",
        "than",
        "then",
        "into",
        "does",
        "do",
        "not",
    ]
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def is_absolute(text: str) -> bool:
    return any(w in ABSOLUTE_WORDS for w in words(text))


def is_hedged(text: str) -> bool:
    return any(w in HEDGE_WORDS for w in words(text))


@dataclass(frozen=True, slots=True)
class CueReport:
    questions: int
    absolute_correct: float
    """Share of correct options with absolute wording."""
    absolute_distractors: float
    """Share of wrong options with absolute wording."""
    solver_score: float
    """Expected share the cue solver gets right: its best rule (ties split evenly)."""
    solver_rule: str
    """Which rule that was."""
    chance: float
    """Expected share from guessing uniformly."""

    @property
    def absolute_gap(self) -> float:
        return self.absolute_distractors - self.absolute_correct

    @property
    def solver_edge(self) -> float:
        return self.solver_score - self.chance


def _echo(option: str, prompt: str) -> int:
    prompt_words = {w for w in words(prompt) if w not in _STOP}
    return len(prompt_words & {w for w in words(option) if w not in _STOP})


# Each cue, read as "the right option is the one that ...". A rule prefers the
# options with the highest value; each cue is tried both ways, because an
# anti-cue (the right option is the *shortest*) gives a reader the same edge.
Cue = Callable[[str, Question], float]
CUES: dict[str, Cue] = {
    "absolute wording": lambda o, q: float(is_absolute(o)),
    "hedged wording": lambda o, q: float(is_hedged(o)),
    "length": lambda o, q: float(len(o)),
    "echo of the prompt": lambda o, q: float(_echo(o, q.prompt)),
}


def _classic(option: str, question: Question) -> float:
    """The textbook test-wise reader: avoid absolutes, trust hedges, pick the
    longest and the one that echoes the question."""
    options = question.choices
    longest = max(len(o) for o in options)
    echo = max(_echo(o, question.prompt) for o in options)
    return (
        float(is_hedged(option))
        - float(is_absolute(option))
        + float(len(option) == longest)
        + float(echo > 0 and _echo(option, question.prompt) == echo)
    )


def rules() -> dict[str, Cue]:
    """Every rule the cue solver tries: each cue preferred and avoided, and the
    classic combination."""
    found: dict[str, Cue] = {
        "classic test-wise reader": _classic,
        "avoid absolutes, trust hedges": lambda o, q: float(is_hedged(o)) - float(is_absolute(o)),
    }
    for name, cue in CUES.items():
        found[f"prefer {name}"] = cue
        found[f"avoid {name}"] = _negated(cue)
    return found


def _negated(cue: Cue) -> Cue:
    def avoid(option: str, question: Question) -> float:
        return -cue(option, question)

    return avoid


def credit(question: Question, rule: Cue) -> float:
    """A rule's expected credit on one question: 1/k when the correct option is
    among the k options it likes best, else 0 (ties are guesses)."""
    scores = [rule(o, question) for o in question.choices]
    best = max(scores)
    favourites = [i for i, s in enumerate(scores) if s == best]
    return 1 / len(favourites) if question.correct_index in favourites else 0.0


def cue_report(questions: Iterable[Question]) -> CueReport:
    choice = [q for q in questions if q.kind is Kind.CHOICE and q.choices]
    if not choice:
        return CueReport(0, 0.0, 0.0, 0.0, "", 0.0)
    correct = [q.choices[q.correct_index] for q in choice]
    wrong = [c for q in choice for i, c in enumerate(q.choices) if i != q.correct_index]
    scored = {
        name: sum(credit(q, rule) for q in choice) / len(choice) for name, rule in rules().items()
    }
    best = max(scored, key=lambda name: scored[name])
    return CueReport(
        questions=len(choice),
        absolute_correct=sum(map(is_absolute, correct)) / len(correct),
        absolute_distractors=sum(map(is_absolute, wrong)) / len(wrong) if wrong else 0.0,
        solver_score=scored[best],
        solver_rule=best,
        chance=sum(1 / len(q.choices) for q in choice) / len(choice),
    )
