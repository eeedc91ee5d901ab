"""Question domain objects.

Questions are immutable values loaded once from the bank. Rounds keep a JSON
snapshot of the question they posted, so editing or deleting a question in the
bank never breaks a round that is already running.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

LETTERS = "abcde"


class Difficulty(enum.StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Kind(enum.StrEnum):
    CHOICE = "choice"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Question:
    """One interview question.

    For ``Kind.CHOICE`` questions ``choices`` holds 2–5 option texts and
    ``answer`` the letter (``a``–``e``) of the correct one. For ``Kind.OPEN``
    questions ``choices`` is empty and ``answer`` is the model answer a strong
    candidate would give; the user grades themselves against it.
    """

    id: str
    topic: str
    difficulty: Difficulty
    kind: Kind
    prompt: str
    answer: str
    explanation: str
    choices: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    """``file:line`` the question was loaded from; used only in messages."""

    @property
    def correct_index(self) -> int:
        """Zero-based index of the correct option (choice questions only)."""
        return LETTERS.index(self.answer)

    @property
    def correct_text(self) -> str:
        return self.choices[self.correct_index] if self.kind is Kind.CHOICE else self.answer

    def letters(self) -> str:
        """The option letters valid for this question, e.g. ``"abcd"``."""
        return LETTERS[: len(self.choices)]

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-able copy stored with each round."""
        return {
            "id": self.id,
            "topic": self.topic,
            "difficulty": self.difficulty.value,
            "kind": self.kind.value,
            "prompt": self.prompt,
            "answer": self.answer,
            "explanation": self.explanation,
            "choices": list(self.choices),
            "tags": list(self.tags),
            "references": list(self.references),
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=data["id"],
            topic=data["topic"],
            difficulty=Difficulty(data["difficulty"]),
            kind=Kind(data["kind"]),
            prompt=data["prompt"],
            answer=data["answer"],
            explanation=data["explanation"],
            choices=tuple(data.get("choices", ())),
            tags=tuple(data.get("tags", ())),
            references=tuple(data.get("references", ())),
        )
