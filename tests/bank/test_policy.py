"""Bank-wide rules: syllabus coverage, balance targets and near-duplicates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.bank import run_check
from bot.bank.policy import check_policy, near_duplicates
from bot.bank.syllabus import Syllabus, SyllabusError, Targets, load_syllabus, parse_syllabus
from bot.bank.wording import count_sentences, is_catch_all
from bot.core.questions import Difficulty, Kind, Question
from tests.helpers import make_question

REPO = Path(__file__).resolve().parents[2]


def q(qid: str, answer: str = "a", **kw: object) -> Question:
    kw.setdefault("source", f"questions/x.yaml:{len(qid)}")
    kw.setdefault("tags", ("point-a",))
    kw.setdefault("prompt", f"{qid}x {qid}y {qid}z?")
    return make_question(qid, "topic-a", answer, **kw)


def syllabus(**targets: float) -> Syllabus:
    base = {"min_choice_per_topic": 0, "min_open_per_topic": 0}
    return Syllabus(
        topics={"topic-a": {"point-a": "the first point", "point-b": "the second point"}},
        targets=Targets(**{**base, **targets}),  # type: ignore[arg-type]
    )


def fields_of(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.field for p in problems]


def test_an_uncovered_point_is_named_with_the_tag_to_add() -> None:
    problems = check_policy([q("one")], syllabus())
    assert [p.field for p in problems] == ["topics.topic-a.point-b"]
    assert "'point-b'" in problems[0].message
    assert all(not p.is_error for p in problems)


def test_a_question_without_a_point_tag_is_located() -> None:
    problems = check_policy([q("one", tags=("point-a", "point-b")), q("two", tags=())], syllabus())
    (problem,) = problems
    assert (problem.question_id, problem.field, problem.file) == ("two", "tags", "questions/x.yaml")
    assert problem.line == 3
    assert "point-a, point-b" in problem.message


def test_topic_minimums_count_each_kind() -> None:
    bank = [
        q("one", tags=("point-a", "point-b")),
        q("two", kind=Kind.OPEN, answer="A model answer here.", choices=()),
    ]
    problems = check_policy(bank, syllabus(min_choice_per_topic=2, min_open_per_topic=1))
    assert fields_of(problems) == ["topics.topic-a"]
    assert "at least 2 choice questions, has 1" in problems[0].message


def test_balance_targets() -> None:
    bank = [
        q(f"q{i}", "a", tags=("point-a", "point-b"), difficulty=Difficulty.EASY) for i in range(4)
    ]
    problems = check_policy(
        bank,
        syllabus(
            max_position_share=0.35,
            min_difficulty_share=0.2,
            min_scenario_share=0.1,
            min_choice_total=5,
        ),
    )
    messages = "\n".join(f"{p.field}: {p.message}" for p in problems)
    assert "max_position_share: option a is correct in 100%" in messages
    assert "min_difficulty_share: medium is 0%" in messages
    assert "min_difficulty_share: hard is 0%" in messages
    assert "min_scenario_share: 0% of questions are tagged 'scenario'" in messages
    assert "min_choice_total: the bank has 4 choice questions; target 5" in messages


def test_length_giveaway_share() -> None:
    long_right = ("the right one, much longer", "no", "nope", "never")
    bank = [q(f"q{i}", choices=long_right, tags=("point-a", "point-b")) for i in range(3)]
    problems = check_policy(bank, syllabus(max_longest_correct_share=0.4))
    assert fields_of(problems) == ["targets.max_longest_correct_share"]


def test_near_duplicates_flag_rewordings_not_neighbours() -> None:
    base = "Why does bagging many deep decision trees reduce the variance of the ensemble?"
    reworded = "Why does bagging many deep decision trees reduce the ensemble variance?"
    other = "Why does boosting shallow trees reduce the bias of the ensemble?"
    bank = [q("base", prompt=base), q("reworded", prompt=reworded), q("other", prompt=other)]
    pairs = near_duplicates(bank, 0.6)
    assert [(p.first.id, p.second.id) for p in pairs] == [("base", "reworded")]
    problems = check_policy(bank, syllabus())
    dupes = [p for p in problems if p.field == "prompt"]
    assert [p.question_id for p in dupes] == ["reworded"]
    assert "base (questions/x.yaml:4)" in dupes[0].message


def test_sentence_counter_ignores_decimals_and_abbreviations() -> None:
    assert count_sentences("Recall is 0.25 here. Precision, e.g. of alerts, is 0.5. Done!") == 3
    assert count_sentences("One sentence (with i.e. an aside)") == 1
    assert count_sentences("") == 0
    # An abbreviation before a capital is no boundary; the same word ending a
    # sentence elsewhere still is one.
    assert count_sentences("Use an optimiser (e.g. Adam) here. Then stop.") == 2
    assert count_sentences("Try Adam, SGD, etc. Both work. See Fig. 3 for why.") == 2
    assert count_sentences("First line.\nSecond line. Third!") == 3


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("All of the above", True),
        ("none of these", True),
        ("Both a and b", True),
        ("Both precision and recall drop", False),
        ("All features are scaled", False),
    ],
)
def test_catch_all_options(option: str, expected: bool) -> None:
    assert is_catch_all(option) is expected


def test_the_repository_syllabus_parses_and_matches_the_topic_list() -> None:
    loaded = load_syllabus(REPO / "config" / "syllabus.toml")
    topics_md = (
        (REPO.parent / "shared" / "question-topics.md").read_text()
        if (REPO.parent / "shared" / "question-topics.md").exists()
        else None
    )
    assert len(loaded.topics) >= 20
    assert loaded.targets.min_choice_total == 450
    assert loaded.targets.max_absolute_gap == 0.05
    if topics_md is not None:
        listed = {line[3:].strip() for line in topics_md.splitlines() if line.startswith("## ")}
        assert listed == set(loaded.topics)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topics": {}}, "at least one"),
        ({"topics": {"Bad Topic": {"x": "y"}}}, "topics.Bad Topic: not a valid topic slug"),
        ({"topics": {"a-b": {"x": ""}}}, "topics.a-b.x: expected a description"),
        ({"topics": {"a-b": {"x": "y"}, "c-d": {"x": "z"}}}, "already listed under a-b"),
        ({"topics": {"a-b": {"x": "y"}}, "targets": {"min_open_total": "many"}}, "whole number"),
        ({"topics": {"a-b": {"x": "y"}}, "targets": {"max_position_share": 2}}, "between 0 and 1"),
        ({"topics": {"a-b": {"x": "y"}}, "targets": {"nope": 1}}, "targets.nope: unknown"),
        ({"topic": {}}, "unknown key 'topic'"),
    ],
)
def test_bad_syllabus_names_the_key(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SyllabusError, match=None) as info:
        parse_syllabus(data, "s.toml")
    assert message in str(info.value)


def test_check_applies_the_syllabus_only_when_given(tmp_path: Path) -> None:
    pack = tmp_path / "packs"
    pack.mkdir()
    (pack / "a.yaml").write_text(
        "topic: topic-a\ndifficulty: easy\nquestions:\n"
        "  - id: only-one\n    prompt: What is the one thing here?\n"
        "    choices: [first, second]\n    answer: a\n"
        "    explanation: First is right. Second is the usual slip.\n"
        "    tags: [point-a]\n"
    )
    policy = tmp_path / "syllabus.toml"
    policy.write_text('[topics.topic-a]\npoint-a = "one"\npoint-b = "two"\n')
    out = io.StringIO()
    assert run_check([pack], strict=True, out=out) == 0
    out = io.StringIO()
    assert run_check([pack], strict=True, out=out, syllabus=policy) == 1
    assert "topics.topic-a.point-b" in out.getvalue()
    out = io.StringIO()
    assert run_check([pack], strict=True, out=out, syllabus=tmp_path / "missing.toml") == 1
    assert "syllabus error" in out.getvalue()
