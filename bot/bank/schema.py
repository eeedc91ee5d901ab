"""The pack format's rules: check one composed file and build its questions.

The rules follow the authoritative format spec (``docs/questions.md`` explains
them to authors). Checking carries on past every problem so an author sees all
that is wrong with a file in one run rather than one error per attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from bot.bank.problems import Problem
from bot.bank.reader import Entries, NodeReader, describe, is_text, line_of, quote
from bot.bank.wording import EXPLANATION_SENTENCES, count_sentences, is_catch_all
from bot.core.questions import LETTERS, Difficulty, Kind, Question

FILE_KEYS = ("topic", "difficulty", "tags", "questions")
QUESTION_KEYS = (
    "id",
    "topic",
    "difficulty",
    "kind",
    "prompt",
    "choices",
    "answer",
    "explanation",
    "tags",
    "references",
)

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")
ID_RULE = "use 3-64 characters of a-z, 0-9 and '-', starting with a letter or digit"
TOPIC_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
TOPIC_RULE = "use 2-40 characters of a-z, 0-9 and '-', starting with a letter or digit"
# "a) ", "(b) ", "C. ", "d: " -- the bot prints its own letters, so these would double up.
LETTER_PREFIX = re.compile(r"\(?[a-e][).:](\s|$)", re.IGNORECASE)

PROMPT_LENGTH = (10, 1500)
CHOICE_LENGTH = (1, 300)
OPEN_ANSWER_LENGTH = (10, 1000)
EXPLANATION_LENGTH = (20, 1000)
TAG_LENGTH = (1, 40)
REFERENCE_LENGTH = (1, 300)
CHOICE_COUNT = (2, 5)
MAX_REFERENCES = 5
# Discord allows 4096 characters in an embed description; keep room for decoration.
MAX_DISPLAY_LENGTH = 3800
LETTER_PREFIX_COST = 4
# A correct option this many times longer than the others' mean gives the answer away.
STANDOUT_FACTOR = 2.0


@dataclass
class FileCheck:
    """What one file contributed: its questions, the ids it claims, and its problems.

    ``ids`` holds (id, line) for every valid id, including ids of questions
    that failed other checks, so duplicates are reported alongside the rest.
    """

    questions: list[Question] = field(default_factory=list)
    ids: list[tuple[str, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Defaults:
    """File-level defaults; ``*_given`` stays true even when the value was invalid.

    A bad default is then reported once at the top of the file instead of as
    "missing" on every question that relies on it.
    """

    topic: str | None = None
    topic_given: bool = False
    difficulty: Difficulty | None = None
    difficulty_given: bool = False
    tags: tuple[str, ...] = ()


def check_file(root: yaml.Node, file: str) -> FileCheck:
    """Validate a composed pack file; ``file`` is the name shown in problems."""
    result = FileCheck()
    reader = NodeReader(file, result.problems)
    if not isinstance(root, yaml.MappingNode):
        shape = "a pack file must be a mapping with a 'questions' list"
        reader.error(root, None, f"{shape}, got {describe(root)}")
        return result
    found = reader.mapping(root)
    reader.reject_unknown(found, FILE_KEYS, "top-level key")
    defaults = _read_defaults(reader, found)

    if "questions" not in found:
        reader.error(root, "questions", "missing required key: the list of questions")
        return result
    node = found["questions"][1]
    items = reader.sequence(node, "questions")
    if items is None:
        return result
    if not items:
        reader.error(node, "questions", "the list of questions is empty")
    for item in items:
        if not isinstance(item, yaml.MappingNode):
            message = f"each question must be a mapping of fields, got {describe(item)}"
            reader.error(item, "questions", message)
            continue
        check = _QuestionCheck(reader.for_question(_peek_id(item)), item)
        question = check.build(defaults, result.ids)
        if question is not None:
            result.questions.append(question)
    return result


def _read_defaults(reader: NodeReader, found: Entries) -> _Defaults:
    defaults = _Defaults()
    if "topic" in found:
        defaults.topic_given = True
        defaults.topic = reader.slug(found["topic"][1], "topic", TOPIC_PATTERN, TOPIC_RULE)
    if "difficulty" in found:
        defaults.difficulty_given = True
        defaults.difficulty = reader.one_of(found["difficulty"][1], "difficulty", Difficulty)
    if "tags" in found:
        defaults.tags = _read_tags(reader, found["tags"][1])
    return defaults


def _read_tags(reader: NodeReader, node: yaml.Node) -> tuple[str, ...]:
    tags: list[str] = []
    for item in reader.sequence(node, "tags") or []:
        tag = reader.text(item, "tags", TAG_LENGTH, what="tag")
        if tag is None:
            continue
        if tag != tag.lower():
            reader.warn(item, "tags", f"tag {quote(tag)} should be lowercase")
        tags.append(tag)
    return tuple(tags)


def _peek_id(node: yaml.MappingNode) -> str | None:
    """The question's id when it is valid, so that every problem can name its question."""
    for key, value in node.value:
        if is_text(key) and key.value == "id" and is_text(value):
            text = str(value.value).strip()
            return text if ID_PATTERN.fullmatch(text) else None
    return None


class _QuestionCheck:
    """Checks one question mapping and builds the Question when nothing is wrong."""

    def __init__(self, reader: NodeReader, node: yaml.MappingNode) -> None:
        self.reader = reader
        self.node = node
        self.found = reader.mapping(node)
        reader.reject_unknown(self.found, QUESTION_KEYS, "field")

    def value(self, name: str) -> yaml.Node | None:
        return self.found[name][1] if name in self.found else None

    def required(self, name: str, hint: str = "") -> yaml.Node | None:
        node = self.value(name)
        if node is None:
            self.reader.error(self.node, name, f"missing required field{hint}")
        return node

    def build(self, defaults: _Defaults, ids: list[tuple[str, int]]) -> Question | None:
        reader = self.reader
        qid = reader.question_id
        id_node = self.required("id")
        if id_node is not None:
            valid_id = reader.slug(id_node, "id", ID_PATTERN, ID_RULE)
            if valid_id is not None:
                ids.append((valid_id, line_of(id_node)))

        topic = self.topic(defaults)
        difficulty = self.difficulty(defaults)
        kind_node = self.value("kind")
        kind = Kind.CHOICE if kind_node is None else reader.one_of(kind_node, "kind", Kind)

        prompt_node = self.required("prompt")
        prompt = None if prompt_node is None else reader.text(prompt_node, "prompt", PROMPT_LENGTH)
        explanation_node = self.required("explanation")
        explanation = (
            None
            if explanation_node is None
            else reader.text(explanation_node, "explanation", EXPLANATION_LENGTH)
        )
        low, high = EXPLANATION_LENGTH
        if explanation_node is not None and explanation and low <= len(explanation) <= high:
            self.check_sentences(explanation_node, explanation)
        choices, answer = self.answer(kind)
        if prompt_node is not None and prompt is not None and choices:
            self.check_display_size(prompt_node, prompt, choices)

        tags_node = self.value("tags")
        own_tags = () if tags_node is None else _read_tags(reader, tags_node)
        references = self.references()

        if reader.errors:
            return None
        # Values can be missing without an error here: an invalid file-level
        # default has already been reported once at the top of the file.
        if qid is None or topic is None or difficulty is None or kind is None:
            return None
        if prompt is None or answer is None or explanation is None:
            return None
        return Question(
            id=qid,
            topic=topic,
            difficulty=difficulty,
            kind=kind,
            prompt=prompt,
            answer=answer,
            explanation=explanation,
            choices=choices,
            tags=tuple(dict.fromkeys(defaults.tags + own_tags)),
            references=references,
            source=f"{reader.file}:{line_of(self.node)}",
        )

    def topic(self, defaults: _Defaults) -> str | None:
        node = self.value("topic")
        if node is not None:
            return self.reader.slug(node, "topic", TOPIC_PATTERN, TOPIC_RULE)
        if not defaults.topic_given:
            self.required("topic", " (set it here or at the top of the file)")
        return defaults.topic

    def difficulty(self, defaults: _Defaults) -> Difficulty | None:
        node = self.value("difficulty")
        if node is not None:
            return self.reader.one_of(node, "difficulty", Difficulty)
        if not defaults.difficulty_given:
            self.required("difficulty", " (set it here or at the top of the file)")
        return defaults.difficulty

    def references(self) -> tuple[str, ...]:
        node = self.value("references")
        items = None if node is None else self.reader.sequence(node, "references")
        if node is None or items is None:
            return ()
        if len(items) > MAX_REFERENCES:
            message = f"too many references: {len(items)}, limit {MAX_REFERENCES}"
            self.reader.error(node, "references", message)
        read = (self.reader.text(i, "references", REFERENCE_LENGTH, "reference") for i in items)
        return tuple(ref for ref in read if ref is not None)

    def answer(self, kind: Kind | None) -> tuple[tuple[str, ...], str | None]:
        """The options and the answer, checked as the question's kind requires."""
        if kind is Kind.CHOICE:
            return self.choice_answer()
        if kind is Kind.OPEN:
            if "choices" in self.found:
                message = "open questions must not have choices; remove them or use kind: choice"
                self.reader.error(self.found["choices"][0], "choices", message)
            node = self.required("answer", " (the model answer)")
            if node is None:
                return (), None
            return (), self.reader.text(node, "answer", OPEN_ANSWER_LENGTH)
        # The kind itself is invalid (already reported): only presence can be checked.
        self.required("answer")
        return (), None

    def choice_answer(self) -> tuple[tuple[str, ...], str | None]:
        errors_before = self.reader.errors
        options, count = self.options()
        answer = self.answer_letter(LETTERS[:count] if count else LETTERS)
        if count is None or len(options) != count:
            return (), answer
        if answer is not None and self.reader.errors == errors_before:
            self.check_standout(options, LETTERS.index(answer))
        return tuple(text for text, _ in options), answer

    def options(self) -> tuple[list[tuple[str, yaml.Node]], int | None]:
        """(text, node) for each usable option, and how many options were listed.

        The count is ``None`` when there is no list at all; fewer usable
        options than listed ones means some were rejected.
        """
        hint = " (2-5 options; use kind: open for a free-text answer)"
        node = self.required("choices", hint)
        items = None if node is None else self.reader.sequence(node, "choices")
        if node is None or items is None:
            return [], None
        low, high = CHOICE_COUNT
        if not low <= len(items) <= high:
            self.reader.error(node, "choices", f"needs {low} to {high} options, got {len(items)}")
        options: list[tuple[str, yaml.Node]] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            letter = LETTERS[index] if index < len(LETTERS) else str(index + 1)
            what = f"option {letter}"
            text = self.reader.text(item, "choices", CHOICE_LENGTH, what)
            if text is None:
                continue
            if LETTER_PREFIX.match(text):
                message = (
                    f"{what} starts with its own letter ({quote(text[:4])}); "
                    "remove it, the bot adds letters itself"
                )
                self.reader.error(item, "choices", message)
            if is_catch_all(text):
                message = (
                    f"{what} is a catch-all ({quote(text[:40])}); it tests the list, "
                    "not the subject: write a real distractor"
                )
                self.reader.warn(item, "choices", message)
            normalised = " ".join(text.casefold().split())
            if normalised in seen:
                self.reader.error(item, "choices", f"{what} repeats option {seen[normalised]}")
            else:
                seen[normalised] = letter
            options.append((text, item))
        return options, len(items)

    def answer_letter(self, letters: str) -> str | None:
        node = self.required("answer", " (the letter of the correct option)")
        answer = None if node is None else self.reader.text(node, "answer")
        if node is None or answer is None:
            return None
        if answer not in letters:
            allowed = ", ".join(letters)
            message = f"must be one of the option letters {allowed}; got {quote(answer)}"
            if len(answer) > 1:
                message += " (for a free-text answer use kind: open)"
            self.reader.error(node, "answer", message)
            return None
        return answer

    def check_display_size(
        self, prompt_node: yaml.Node, prompt: str, choices: tuple[str, ...]
    ) -> None:
        total = len(prompt) + sum(len(c) + LETTER_PREFIX_COST for c in choices)
        if total > MAX_DISPLAY_LENGTH:
            message = (
                f"prompt and options together are too long: {total} characters "
                f"(counting {LETTER_PREFIX_COST} per option for its letter), "
                f"limit {MAX_DISPLAY_LENGTH}"
            )
            self.reader.error(prompt_node, "prompt", message)

    def check_sentences(self, node: yaml.Node, explanation: str) -> None:
        """Warn when an explanation is too short to teach or too long to read in chat."""
        low, high = EXPLANATION_SENTENCES
        count = count_sentences(explanation)
        if not low <= count <= high:
            message = (
                f"has {count} sentence{'s' if count != 1 else ''}; write {low} to {high}: "
                "why the answer is right and why the tempting wrong one is wrong"
            )
            self.reader.warn(node, "explanation", message)

    def check_standout(self, options: list[tuple[str, yaml.Node]], correct: int) -> None:
        """Warn when the correct option is conspicuously the longest, a classic giveaway."""
        sizes = [len(text) for text, _ in options]
        others = sizes[:correct] + sizes[correct + 1 :]
        if not others or sizes[correct] <= max(others):
            return
        mean = sum(others) / len(others)
        if sizes[correct] > STANDOUT_FACTOR * mean:
            message = (
                f"correct option stands out by length: {sizes[correct]} characters "
                f"vs. an average of {mean:.0f} for the others"
            )
            self.reader.warn(options[correct][1], "choices", message)
