"""Loader and validator tests: each rule is pinned to the exact place it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bank import LoadResult, Problem, QuestionBank, load_bank
from bot.core.questions import Difficulty, Kind, Question

# Expected line numbers in the tests below count from the first line of BASE.
BASE = """\
topic: evaluation
difficulty: medium
questions:
  - id: eval-base
    prompt: Which metric is robust to class imbalance?
    choices:
      - Accuracy
      - PR-AUC
      - Error rate
    answer: b
    explanation: PR-AUC ignores true negatives. A majority-class guesser cannot score well.
"""

SECOND = """\
  - id: eval-second
    kind: open
    prompt: When would you prefer a PR curve over a ROC curve?
    answer: When positives are rare, because FPR hides false alarms.
    explanation: The base-rate argument is what interviewers listen for. FPR hides it.
"""


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


@pytest.fixture
def pack_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A questions/ folder with the working directory set so paths display short."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "questions"
    directory.mkdir()
    return directory


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_text(directory: Path, text: str, name: str = "eval.yaml") -> LoadResult:
    write(directory, name, text)
    return load_bank([directory])


def only_problem(result: LoadResult) -> Problem:
    assert len(result.problems) == 1, "\n".join(map(str, result.problems))
    return result.problems[0]


def where(problem: Problem) -> tuple[str, int, str | None, str | None]:
    return problem.file, problem.line, problem.question_id, problem.field


# --- a valid bank --------------------------------------------------------------------------


def test_valid_file_loads_questions_with_file_defaults(pack_dir: Path) -> None:
    text = (
        "tags: [metrics]\n"
        + BASE
        + SECOND.replace(
            "    kind: open\n",
            "    kind: open\n    difficulty: hard\n    tags: [curves, metrics]\n",
        )
    )
    result = load_text(pack_dir, text)

    assert result.ok
    assert result.problems == ()
    assert result.files == 1
    assert result.questions == (
        Question(
            id="eval-base",
            topic="evaluation",
            difficulty=Difficulty.MEDIUM,
            kind=Kind.CHOICE,
            prompt="Which metric is robust to class imbalance?",
            answer="b",
            explanation=(
                "PR-AUC ignores true negatives. A majority-class guesser cannot score well."
            ),
            choices=("Accuracy", "PR-AUC", "Error rate"),
            tags=("metrics",),
        ),
        Question(
            id="eval-second",
            topic="evaluation",
            difficulty=Difficulty.HARD,
            kind=Kind.OPEN,
            prompt="When would you prefer a PR curve over a ROC curve?",
            answer="When positives are rare, because FPR hides false alarms.",
            explanation="The base-rate argument is what interviewers listen for. FPR hides it.",
            tags=("metrics", "curves"),
        ),
    )
    assert [q.source for q in result.questions] == [
        "questions/eval.yaml:5",
        "questions/eval.yaml:13",
    ]


def test_text_is_stripped_and_block_scalars_work(pack_dir: Path) -> None:
    text = mutate(
        "    prompt: Which metric is robust to class imbalance?\n",
        "    prompt: >\n      Which metric is robust\n      to class imbalance?\n\n",
    )
    text = mutate("      - Accuracy\n", "      - '  Accuracy  '\n", text)
    result = load_text(pack_dir, text)

    assert result.ok, result.problems
    (question,) = result.questions
    assert question.prompt == "Which metric is robust to class imbalance?"
    assert question.choices[0] == "Accuracy"


def test_yml_files_nested_folders_sorted_and_hidden_skipped(pack_dir: Path) -> None:
    write(pack_dir, "b/second.yml", "topic: b-topic\ndifficulty: easy\nquestions:\n" + SECOND)
    write(pack_dir, "a.yaml", BASE)
    write(pack_dir, ".drafts/draft.yaml", "not: [valid")
    write(pack_dir, "notes.txt", "ignored")

    result = load_bank([pack_dir, pack_dir / "b"])  # overlapping dirs load each file once

    assert result.ok, result.problems
    assert result.files == 2
    assert [q.id for q in result.questions] == ["eval-base", "eval-second"]
    assert result.questions[1].topic == "b-topic"


# --- one test per kind of error: exact file, line, id and field ----------------------------

FILE = "questions/eval.yaml"

CASES = {
    # name: (yaml text, line, question id, field, part of the message)
    "unknown-field": (
        mutate("    answer: b\n", "    answer: b\n    hint: think\n"),
        11,
        "eval-base",
        "hint",
        "unknown field; allowed: id, topic,",
    ),
    "missing-field": (
        mutate(BASE.splitlines(keepends=True)[-1], ""),
        4,
        "eval-base",
        "explanation",
        "missing required field",
    ),
    "missing-topic-without-file-default": (
        mutate("topic: evaluation\n", ""),
        3,
        "eval-base",
        "topic",
        "missing required field (set it here or at the top of the file)",
    ),
    "missing-choices": (
        mutate("    choices:\n      - Accuracy\n      - PR-AUC\n      - Error rate\n", ""),
        4,
        "eval-base",
        "choices",
        "missing required field (2-5 options; use kind: open",
    ),
    "prompt-is-a-list": (
        mutate("Which metric is robust to class imbalance?", "[Which metric, is robust]"),
        5,
        "eval-base",
        "prompt",
        "prompt must be text, got a list",
    ),
    "choices-not-a-list": (
        mutate(
            "    choices:\n      - Accuracy\n      - PR-AUC\n      - Error rate\n",
            "    choices: Accuracy\n",
        ),
        6,
        "eval-base",
        "choices",
        "choices must be a list, got text ('Accuracy')",
    ),
    "id-is-a-number": (
        mutate("id: eval-base", "id: 12345"),
        4,
        None,
        "id",
        "id must be text, got a number ('12345'); put it in quotes if you meant text",
    ),
    "answer-is-null": (
        mutate("    answer: b\n", "    answer:\n"),
        10,
        "eval-base",
        "answer",
        "answer must be text, got an empty value",
    ),
    "empty-text": (
        mutate("    prompt: Which metric is robust to class imbalance?", "    prompt: '   '"),
        5,
        "eval-base",
        "prompt",
        "prompt is empty",
    ),
    "bad-id-slug": (
        mutate("id: eval-base", "id: Eval_Base"),
        4,
        None,
        "id",
        "'Eval_Base' is not a valid id: use 3-64 characters of a-z, 0-9 and '-'",
    ),
    "bad-topic-slug-in-file": (
        mutate("topic: evaluation", "topic: Evaluation!"),
        1,
        None,
        "topic",
        "'Evaluation!' is not a valid topic",
    ),
    "bad-topic-slug-in-question": (
        mutate("    prompt:", "    topic: x\n    prompt:"),
        5,
        "eval-base",
        "topic",
        "'x' is not a valid topic: use 2-40 characters",
    ),
    "bad-difficulty": (
        mutate("difficulty: medium", "difficulty: extreme"),
        2,
        None,
        "difficulty",
        "must be one of easy, medium, hard; got 'extreme'",
    ),
    "bad-kind": (
        mutate("    prompt:", "    kind: essay\n    prompt:"),
        5,
        "eval-base",
        "kind",
        "must be one of choice, open; got 'essay'",
    ),
    "too-few-choices": (
        mutate("      - PR-AUC\n      - Error rate\n    answer: b", "    answer: a"),
        6,
        "eval-base",
        "choices",
        "needs 2 to 5 options, got 1",
    ),
    "too-many-choices": (
        mutate(
            "      - Error rate\n", "      - Error rate\n      - F1\n      - Recall\n      - Lift\n"
        ),
        6,
        "eval-base",
        "choices",
        "needs 2 to 5 options, got 6",
    ),
    "duplicate-option": (
        mutate("      - Error rate\n", "      - '  pr-auc '\n"),
        9,
        "eval-base",
        "choices",
        "option c repeats option b",
    ),
    "option-with-letter-prefix": (
        mutate("      - Accuracy\n", "      - a) Accuracy\n"),
        7,
        "eval-base",
        "choices",
        "option a starts with its own letter ('a) A'); remove it",
    ),
    "option-too-long": (
        mutate("      - Accuracy\n", f"      - {'y' * 301}\n"),
        7,
        "eval-base",
        "choices",
        "option a is too long: 301 characters, limit 300",
    ),
    "answer-not-a-choice-letter": (
        mutate("    answer: b", "    answer: d"),
        10,
        "eval-base",
        "answer",
        "must be one of the option letters a, b, c; got 'd'",
    ),
    "choice-answer-written-out": (
        mutate("    answer: b", "    answer: PR-AUC"),
        10,
        "eval-base",
        "answer",
        "got 'PR-AUC' (for a free-text answer use kind: open)",
    ),
    "open-question-with-choices": (
        mutate(
            "    answer: b\n",
            "    answer: PR-AUC, because it ignores true negatives.\n    kind: open\n",
        ),
        6,
        "eval-base",
        "choices",
        "open questions must not have choices",
    ),
    "open-answer-too-short": (
        "topic: evaluation\ndifficulty: easy\nquestions:\n"
        + mutate("When positives are rare, because FPR hides false alarms.", "Rare.", SECOND),
        7,
        "eval-second",
        "answer",
        "answer is too short: 5 characters, minimum 10",
    ),
    "prompt-too-short": (
        mutate("Which metric is robust to class imbalance?", "Why PR?"),
        5,
        "eval-base",
        "prompt",
        "prompt is too short: 7 characters, minimum 10",
    ),
    "explanation-too-long": (
        mutate(
            "PR-AUC ignores true negatives. A majority-class guesser cannot score well.",
            "z" * 1001,
        ),
        11,
        "eval-base",
        "explanation",
        "explanation is too long: 1001 characters, limit 1000",
    ),
    "tag-too-long": (
        BASE + f"    tags: [ok, {'t' * 41}]\n",
        12,
        "eval-base",
        "tags",
        "tag is too long: 41 characters, limit 40",
    ),
    "too-many-references": (
        BASE + "    references: [a, b, c, d, e, f]\n",
        12,
        "eval-base",
        "references",
        "too many references: 6, limit 5",
    ),
    "reference-too-long": (
        BASE + f"    references:\n      - ISLR ch. 4\n      - {'r' * 301}\n",
        14,
        "eval-base",
        "references",
        "reference is too long: 301 characters, limit 300",
    ),
    "duplicate-key": (
        mutate("    answer: b\n", "    answer: b\n    answer: c\n"),
        11,
        "eval-base",
        "answer",
        "duplicate key; already set on line 10",
    ),
    "non-text-key": (
        mutate("    answer: b\n", "    answer: b\n    42: yes\n"),
        11,
        "eval-base",
        None,
        "keys must be plain text, got a number ('42')",
    ),
    "unknown-top-level-key": (
        "author: me\n" + BASE,
        1,
        None,
        "author",
        "unknown top-level key; allowed: topic, difficulty, tags, questions",
    ),
    "questions-not-a-list": (
        "topic: evaluation\nquestions:\n  id: eval-base\n",
        2,
        None,
        "questions",
        "questions must be a list, got a mapping",
    ),
    "question-not-a-mapping": (
        BASE + "  - just a string\n",
        12,
        None,
        "questions",
        "each question must be a mapping of fields, got text ('just a string')",
    ),
    "questions-empty": (
        "topic: evaluation\nquestions: []\n",
        2,
        None,
        "questions",
        "the list of questions is empty",
    ),
    "no-questions-key": (
        "topic: evaluation\n",
        1,
        None,
        "questions",
        "missing required key",
    ),
    "file-not-a-mapping": (
        "- id: eval-base\n- id: eval-other\n",
        1,
        None,
        None,
        "a pack file must be a mapping with a 'questions' list, got a list",
    ),
    "file-is-empty": ("# nothing yet\n\n", 1, None, None, "file is empty"),
    "yaml-syntax-error": (
        mutate("robust to class imbalance?", "robust: to class imbalance?"),
        5,
        None,
        None,
        "invalid YAML: mapping values are not allowed here",
    ),
    "several-documents": (BASE + "---\n" + BASE, 12, None, None, "found another document"),
}


@pytest.mark.parametrize(("text", "line", "qid", "field", "message"), CASES.values(), ids=CASES)
def test_each_error_is_reported_at_its_place(
    pack_dir: Path, text: str, line: int, qid: str | None, field: str | None, message: str
) -> None:
    result = load_text(pack_dir, text)

    problem = only_problem(result)
    assert where(problem) == (FILE, line, qid, field)
    assert message in problem.message
    assert problem.severity == "error"
    assert not result.ok
    assert result.questions == ()


def test_misspelt_field_suggests_the_right_one(pack_dir: Path) -> None:
    result = load_text(pack_dir, mutate("    prompt:", "    promt:"))

    assert [(where(p), p.message) for p in result.problems] == [
        ((FILE, 4, "eval-base", "prompt"), "missing required field"),
        ((FILE, 5, "eval-base", "promt"), "unknown field; did you mean 'prompt'?"),
    ]


def test_total_display_size_is_limited(pack_dir: Path) -> None:
    long_prompt = "Why " + "x" * 3786  # 3790 characters
    result = load_text(pack_dir, mutate("Which metric is robust to class imbalance?", long_prompt))

    problems = {p.message.split(":")[0]: p for p in result.problems}
    assert set(problems) == {"prompt is too long", "prompt and options together are too long"}
    total = problems["prompt and options together are too long"]
    assert where(total) == (FILE, 5, "eval-base", "prompt")
    # 3790 + (8 + 4) + (6 + 4) + (10 + 4)
    assert "3826 characters" in total.message
    assert "limit 3800" in total.message


def test_non_utf8_file_reports_the_line_of_the_bad_byte(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_bytes(
        BASE.replace("Error rate", "Erreur").encode() + b"  - id: caf\xe9\n"
    )

    problem = only_problem(load_bank([pack_dir]))

    assert where(problem) == (FILE, 12, None, None)
    assert "not valid UTF-8" in problem.message


def test_missing_directory_is_a_problem_not_an_exception(pack_dir: Path) -> None:
    write(pack_dir, "eval.yaml", BASE)

    result = load_bank([pack_dir, Path("team-packs")])

    problem = only_problem(result)
    assert where(problem) == ("team-packs", 0, None, None)
    assert problem.message == "directory does not exist"
    assert result.questions == ()
    assert str(problem) == "team-packs:0: -: -: directory does not exist"


def test_problem_str_format(pack_dir: Path) -> None:
    problem = only_problem(load_text(pack_dir, mutate("    answer: b", "    answer: d")))

    assert str(problem) == (
        "questions/eval.yaml:10: eval-base: answer: "
        "must be one of the option letters a, b, c; got 'd'"
    )


def test_invalid_file_default_is_reported_once(pack_dir: Path) -> None:
    result = load_text(pack_dir, mutate("difficulty: medium", "difficulty: Medium") + SECOND)

    problem = only_problem(result)
    assert where(problem) == (FILE, 2, None, "difficulty")


# --- across files and all at once ------------------------------------------------------------


def test_problems_from_several_files_are_all_reported(pack_dir: Path) -> None:
    write(pack_dir, "a.yaml", mutate("    answer: b", "    answer: z"))
    write(pack_dir, "b.yaml", "topic: [x\n")
    write(
        pack_dir, "c.yaml", mutate("id: eval-base", "id: eval-c").replace("Accuracy", "a) Accuracy")
    )
    write(pack_dir, "d.yaml", mutate("id: eval-base", "id: eval-d"))

    result = load_bank([pack_dir])

    assert [(p.file, p.line, p.field) for p in result.problems] == [
        ("questions/a.yaml", 10, "answer"),
        ("questions/b.yaml", 2, None),
        ("questions/c.yaml", 7, "choices"),
    ]
    assert result.files == 4
    assert result.questions == ()  # d.yaml is fine, but nothing loads half-way


def test_many_problems_in_one_question_are_all_reported(pack_dir: Path) -> None:
    text = """\
questions:
  - id: Bad Id
    difficulty: trivial
    prompt: Short
    choices: [Same, same]
    answer: f
    explanation: too short
    colour: blue
"""
    result = load_text(pack_dir, text)

    assert [(p.line, p.question_id, p.field) for p in result.problems] == [
        (2, None, "id"),
        (2, None, "topic"),
        (3, None, "difficulty"),
        (4, None, "prompt"),
        (5, None, "choices"),
        (6, None, "answer"),
        (7, None, "explanation"),
        (8, None, "colour"),
    ]


def test_duplicate_id_across_files_names_both_places(pack_dir: Path) -> None:
    write(pack_dir, "a.yaml", BASE)
    write(
        pack_dir,
        "b.yaml",
        "topic: other\ndifficulty: easy\nquestions:\n" + BASE.split("questions:\n")[1],
    )

    result = load_bank([pack_dir])

    problem = only_problem(result)
    assert where(problem) == ("questions/b.yaml", 4, "eval-base", "id")
    assert problem.message == "duplicate id; also defined at questions/a.yaml:4"
    assert result.questions == ()


def test_duplicate_id_within_one_file(pack_dir: Path) -> None:
    result = load_text(pack_dir, BASE + SECOND.replace("eval-second", "eval-base"))

    problem = only_problem(result)
    assert where(problem) == (FILE, 12, "eval-base", "id")
    assert "also defined at questions/eval.yaml:4" in problem.message


# --- warnings ------------------------------------------------------------------------------


def test_correct_option_that_stands_out_by_length_is_a_warning(pack_dir: Path) -> None:
    long_answer = "Precision-recall AUC, because it ignores true negatives"
    result = load_text(pack_dir, mutate("      - PR-AUC\n", f"      - {long_answer}\n"))

    problem = only_problem(result)
    assert where(problem) == (FILE, 8, "eval-base", "choices")
    assert problem.severity == "warning"
    assert problem.message == (
        "correct option stands out by length: 55 characters vs. an average of 9 for the others"
    )
    assert result.ok
    assert len(result.questions) == 1


def test_long_wrong_option_is_not_a_warning(pack_dir: Path) -> None:
    long_option = "Precision-recall AUC, because it ignores true negatives"
    result = load_text(pack_dir, mutate("      - Accuracy\n", f"      - {long_option}\n"))

    assert result.problems == ()


def test_uppercase_tag_is_a_warning(pack_dir: Path) -> None:
    result = load_text(pack_dir, "tags: [Metrics]\n" + BASE)

    problem = only_problem(result)
    assert where(problem) == (FILE, 1, None, "tags")
    assert problem.severity == "warning"
    assert "should be lowercase" in problem.message
    assert result.ok
    assert result.questions[0].tags == ("Metrics",)


# --- QuestionBank ----------------------------------------------------------------------------


def make_question(qid: str, topic: str, difficulty: Difficulty, kind: Kind) -> Question:
    return Question(
        id=qid,
        topic=topic,
        difficulty=difficulty,
        kind=kind,
        prompt="A prompt long enough?",
        answer="a" if kind is Kind.CHOICE else "A model answer.",
        explanation="An explanation that teaches. It has two sentences.",
        choices=("one", "two") if kind is Kind.CHOICE else (),
    )


def test_question_bank_lookups() -> None:
    questions = [
        make_question("q-one", "stats", Difficulty.EASY, Kind.CHOICE),
        make_question("q-two", "evaluation", Difficulty.HARD, Kind.OPEN),
        make_question("q-three", "stats", Difficulty.HARD, Kind.CHOICE),
    ]
    bank = QuestionBank(questions)

    assert len(bank) == 3
    assert list(bank) == questions
    assert bank.get("q-two") is questions[1]
    assert bank.get("missing") is None
    assert bank.topics() == ["evaluation", "stats"]
    assert bank.has_topic("stats")
    assert not bank.has_topic("sta")
    assert bank.filter() == questions
    assert bank.filter(topics={"stats"}) == [questions[0], questions[2]]
    assert bank.filter(topics="stats") == [questions[0], questions[2]]
    assert bank.filter(difficulty=Difficulty.HARD) == questions[1:]
    assert bank.filter(topics=["stats"], difficulty=Difficulty.HARD, kind=Kind.CHOICE) == [
        questions[2]
    ]
    assert bank.filter(kind=Kind.OPEN, topics=[]) == []


def test_question_bank_rejects_duplicate_ids() -> None:
    question = make_question("q-one", "stats", Difficulty.EASY, Kind.CHOICE)
    with pytest.raises(ValueError, match="q-one"):
        QuestionBank([question, question])


# --- the real bank ---------------------------------------------------------------------------


def test_real_bank_loads_cleanly() -> None:
    result = load_bank([Path(__file__).parents[2] / "questions"])

    assert result.errors == (), "\n".join(map(str, result.errors))
    bank = QuestionBank(result.questions)
    assert len(bank) >= 20
    assert len(bank.topics()) >= 5


# --- robustness --------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
yamlish = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=12) | st.integers(), children, max_size=6)
    ),
    max_leaves=30,
)
keys = st.sampled_from(
    ["id", "topic", "difficulty", "kind", "prompt", "choices", "answer", "explanation", "tags"]
)
question_like = st.dictionaries(keys, yamlish, max_size=9)
file_like = st.fixed_dictionaries(
    {"questions": st.lists(question_like | yamlish, max_size=4)},
    optional={"topic": yamlish, "difficulty": yamlish, "tags": yamlish},
)
robust = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_all_or_nothing(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert result.files == 1
    assert result.questions or result.problems
    assert not (result.questions and result.errors)
    for problem in result.problems:
        assert "\n" not in str(problem)


@robust
@given(text=st.text(max_size=300))
def test_random_text_never_raises(tmp_path: Path, text: str) -> None:
    (tmp_path / "random.yaml").write_text(text, encoding="utf-8")
    assert_all_or_nothing(load_bank([tmp_path]))


@robust
@given(data=st.binary(max_size=200))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "random.yaml").write_bytes(data)
    assert_all_or_nothing(load_bank([tmp_path]))


@robust
@given(document=file_like | yamlish)
def test_random_yaml_structures_never_raise(tmp_path: Path, document: object) -> None:
    (tmp_path / "random.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    assert_all_or_nothing(load_bank([tmp_path]))
