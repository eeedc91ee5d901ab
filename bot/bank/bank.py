"""Read-only lookups over the loaded questions, used when picking what to ask."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from bot.core.questions import Difficulty, Kind, Question


class QuestionBank:
    """An immutable, ordered set of questions with lookup by id.

    Order is the load order (files sorted by path, questions as written), so
    anything that walks the bank does so reproducibly.
    """

    def __init__(self, questions: Iterable[Question]) -> None:
        self._questions = tuple(questions)
        self._by_id: dict[str, Question] = {}
        for question in self._questions:
            if question.id in self._by_id:
                # The loader rejects duplicate ids; getting one here is a programming error.
                raise ValueError(f"duplicate question id {question.id!r}")
            self._by_id[question.id] = question
        self._topics = sorted({q.topic for q in self._questions})

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def __len__(self) -> int:
        return len(self._questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions)

    def topics(self) -> list[str]:
        return list(self._topics)

    def has_topic(self, slug: str) -> bool:
        return slug in self._topics

    def filter(
        self,
        *,
        topics: Collection[str] | None = None,
        difficulty: Difficulty | None = None,
        kind: Kind | None = None,
    ) -> list[Question]:
        """Questions matching every given criterion; ``None`` means "any"."""
        # A bare string is a Collection[str] too; treat it as one topic, not as letters.
        wanted = None if topics is None else {topics} if isinstance(topics, str) else set(topics)
        return [
            q
            for q in self._questions
            if (wanted is None or q.topic in wanted)
            and (difficulty is None or q.difficulty is difficulty)
            and (kind is None or q.kind is kind)
        ]
