"""Hostile and broken packs: the loader lists every problem and never half-loads.

A pack is written by hand, pasted from chat, or crafted to hurt the bot. These
properties feed the real loader whatever that may produce (random bytes,
invalid UTF-8, control and bidi characters, huge strings, wrong types,
repeated keys, absurd nesting) and check that the outcome is always one of
two things: every question loaded, or no question loaded together with a list
of ``file:line: id: field: message`` problems that each point into the file.

Each example gets its own temporary directory, because pytest's function
scoped ``tmp_path`` would be shared by every example hypothesis runs.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bank import LoadResult, load_bank, run_check, source
from bot.bank.loader import MESSAGE_LIMIT
from bot.bank.problems import display_path

fuzz = settings(max_examples=60, deadline=None)

VALID_QUESTION: dict[str, Any] = {
    "id": "fuzz-base",
    "topic": "evaluation",
    "difficulty": "medium",
    "kind": "choice",
    "prompt": "Which metric is robust to class imbalance?",
    "choices": ["Accuracy", "PR-AUC", "Error rate"],
    "answer": "b",
    "explanation": "PR-AUC ignores true negatives. A majority-class guesser cannot score well.",
    "tags": ["metrics"],
    "references": ["ISLR ch. 4"],
}
VALID_TEXT = yaml.safe_dump({"questions": [VALID_QUESTION]}, sort_keys=False)

# Pieces that trip YAML parsers, terminals and chat clients.
HOSTILE = [
    "\t",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\U0001f389",
    "\u0627\u0644\u0639",
    "\r",
    "\r\n",
    "\x85",
    "\u2028",
    ": ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "!x%0Ay ",
    "!!python/object:os.system ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "|",
    ">",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\n",
    "  ",
    "questions:\n",
    "  - id: fuzz-other\n",
    "x" * 3000,
]
fragments = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=20).map("".join)
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\xf4\x90\x80\x80"]


@contextlib.contextmanager
def pack_dir(files: dict[str, bytes]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh questions/ folder holding ``files``, and the name problems show for each."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "questions"
        root.mkdir()
        shown = {}
        for name, data in files.items():
            path = root / name
            path.write_bytes(data)
            shown[name] = display_path(path)
        yield root, shown


def max_line(data: bytes) -> int:
    """The highest line number a problem may name: YAML also breaks lines at CR, NEL, LS, PS."""
    return len(data.decode("utf-8", "replace").splitlines()) + 1


def assert_all_or_nothing(
    result: LoadResult, shown: dict[str, str], data: dict[str, bytes]
) -> None:
    """Either a complete bank without errors, or no questions and problems that say where."""
    assert isinstance(result, LoadResult)
    assert result.files == len(data)
    if result.errors:
        assert result.questions == (), "a bank with errors must not hand out any question"
    else:
        assert result.questions, "a pack without errors must contribute questions"
        assert all(q.source.split(":")[0] in shown.values() for q in result.questions)
    by_shown = {shown[name]: data[name] for name in data}
    for problem in result.problems:
        assert problem.file in by_shown, problem
        assert 1 <= problem.line <= max_line(by_shown[problem.file]), problem
        assert problem.message.strip(), problem
        text = str(problem)
        assert text.startswith(f"{problem.file}:{problem.line}: "), text
        assert text.isprintable(), f"one printable line per problem: {text!r}"
        assert len(problem.message) <= MESSAGE_LIMIT, text


def check_output(root: Path, result: LoadResult, shown: dict[str, str]) -> None:
    """``studybot bank check`` fails exactly when there are errors and prints one line each."""
    out = io.StringIO()
    code = run_check([root], strict=False, out=out)
    lines = out.getvalue().splitlines()
    assert code == (1 if result.errors else 0)
    assert len(lines) == len(result.problems) + 1
    files = "|".join(re.escape(name) for name in shown.values())
    for line in lines[:-1]:
        assert re.match(rf"({files}):\d+: \S+: .+: \S", line), line
    assert lines[-1].endswith(f"{len(result.errors)} errors, {len(result.warnings)} warnings")


# --- arbitrary content -------------------------------------------------------------------------


@fuzz
@given(data=st.binary(max_size=400))
def test_random_bytes_load_cleanly_or_list_problems(data: bytes) -> None:
    files = {"pack.yaml": data}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)
        check_output(root, result, shown)


@fuzz
@given(at=st.integers(0, len(VALID_TEXT)), junk=fragments)
def test_hostile_text_spliced_into_a_valid_pack(at: int, junk: str) -> None:
    files = {"pack.yaml": (VALID_TEXT[:at] + junk + VALID_TEXT[at:]).encode("utf-8")}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)
        check_output(root, result, shown)


@fuzz
@given(
    at=st.integers(0, len(VALID_TEXT)),
    bad=st.lists(st.sampled_from(BAD_BYTES), min_size=1, max_size=3).map(b"".join),
)
def test_invalid_utf8_names_the_file_and_line(at: int, bad: bytes) -> None:
    raw = VALID_TEXT.encode("utf-8")
    files = {"pack.yaml": raw[:at] + bad + raw[at:]}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)


@fuzz
@given(good_first=st.booleans(), junk=fragments)
def test_one_broken_file_keeps_every_other_file_out_too(good_first: bool, junk: str) -> None:
    """No partial bank: a clean file's questions are dropped when another file has errors."""
    good, bad = ("a.yaml", "b.yaml") if good_first else ("b.yaml", "a.yaml")
    files = {good: VALID_TEXT.encode(), bad: ("questions: [" + junk).encode("utf-8")}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)
        assert result.errors, "an unclosed flow list can never be valid YAML"
        assert {p.file for p in result.errors} == {shown[bad]}
        assert result.questions == ()


# --- one field of the wrong type -----------------------------------------------------------------

wrong_values = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.sampled_from(["", "   ", "\u200b", "\t\u202e"]),
    st.lists(st.integers() | st.none(), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), min_size=1, max_size=3),
    st.integers(1_000, 10_000).map(lambda n: "é\u202e" * n),
)
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{2,30}", fullmatch=True)


@fuzz
@given(qid=slugs, field=st.sampled_from(sorted(VALID_QUESTION)), value=wrong_values)
def test_a_wrongly_typed_field_is_named_with_file_and_id(qid: str, field: str, value: Any) -> None:
    question = {**VALID_QUESTION, "id": qid, field: value}
    text = yaml.safe_dump({"questions": [question]}, sort_keys=False, allow_unicode=True)
    files = {"pack.yaml": text.encode("utf-8")}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
    assert_all_or_nothing(result, shown, files)
    expected_id = None if field == "id" else qid
    assert any(
        (p.file, p.question_id, p.field) == (shown["pack.yaml"], expected_id, field)
        for p in result.errors
    ), "\n".join(map(str, result.problems)) or "no problems at all"


@fuzz
@given(field=st.sampled_from(["topic", "difficulty", "tags"]), value=wrong_values)
def test_a_wrongly_typed_file_default_is_named_at_the_top(field: str, value: Any) -> None:
    question = {k: v for k, v in VALID_QUESTION.items() if k not in {"topic", "difficulty"}}
    document = {"topic": "evaluation", "difficulty": "easy", field: value, "questions": [question]}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    files = {"pack.yaml": text.encode("utf-8")}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
    assert_all_or_nothing(result, shown, files)
    named = [p for p in result.errors if p.field == field]
    assert named, "\n".join(map(str, result.problems))
    # Reported against the file's own key, not again as "missing" on the question.
    assert {(p.file, p.question_id) for p in named} == {(shown["pack.yaml"], None)}
    assert not [p for p in result.problems if p.question_id is not None]


# --- repeated keys -----------------------------------------------------------------------------

QUESTION_LINES = [
    ("id", "'{qid}'"),
    ("topic", "evaluation"),
    ("difficulty", "medium"),
    ("prompt", "Which metric is robust to class imbalance?"),
    ("choices", "[Accuracy, PR-AUC, Error rate]"),
    ("answer", "b"),
    ("explanation", "PR-AUC ignores true negatives. A majority-class guesser cannot score well."),
    ("tags", "[metrics]"),
]
spellings = st.sampled_from(["{key}", '"{key}"', "'{key}'"])


@fuzz
@given(
    qid=slugs,
    index=st.integers(0, len(QUESTION_LINES) - 1),
    at=st.integers(1, len(QUESTION_LINES)),
    spelling=spellings,
    value=st.sampled_from(["c", "'x'", "42", "[a, b]", "", "{}", "fuzz-again"]),
    libyaml=st.booleans(),
)
def test_a_repeated_key_in_a_question_is_reported_where_it_repeats(
    qid: str, index: int, at: int, spelling: str, value: str, libyaml: bool
) -> None:
    """PyYAML keeps only the last of two equal keys; the loader must say so, not pick one.

    The copy goes anywhere after the question's first line, so it may come
    before the original; whichever comes second is the one reported.
    """
    key = QUESTION_LINES[index][0]
    entries = [f"{k}: {v.format(qid=qid)}" for k, v in QUESTION_LINES]
    copy_value = "fuzz-again" if key == "id" else value
    entries.insert(at, f"{spelling.format(key=key)}: {copy_value}")
    body = "".join(("  - " if i == 0 else "    ") + e + "\n" for i, e in enumerate(entries))
    files = {"pack.yaml": ("questions:\n" + body).encode("utf-8")}
    # Line numbers: "questions:" is line 1, the question's entries start on line 2.
    first, second = sorted([index + (index >= at) + 2, at + 2])

    loader = (
        contextlib.nullcontext() if libyaml else mock.patch.object(source, "_FAST_LOADER", None)
    )
    with loader, pack_dir(files) as (root, shown):
        result = load_bank([root])
    assert_all_or_nothing(result, shown, files)
    repeated = [p for p in result.errors if "duplicate key" in p.message]
    assert len(repeated) == 1, "\n".join(map(str, result.problems))
    (problem,) = repeated
    assert (problem.file, problem.line, problem.question_id, problem.field) == (
        shown["pack.yaml"],
        second,
        qid,
        key,
    )
    assert problem.message == f"duplicate key; already set on line {first}"


@fuzz
@given(key=st.sampled_from(["topic", "difficulty", "questions"]), libyaml=st.booleans())
def test_a_repeated_top_level_key_is_reported(key: str, libyaml: bool) -> None:
    """Even a second, valid ``questions:`` list must not quietly replace the first."""
    again = {"topic": "topic: ensembles\n", "difficulty": "difficulty: hard\n"}.get(
        key, VALID_TEXT.replace("fuzz-base", "fuzz-second")
    )
    text = "topic: evaluation\ndifficulty: medium\n" + VALID_TEXT + again
    files = {"pack.yaml": text.encode("utf-8")}
    hits = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key}:")]
    first, second = hits

    loader = (
        contextlib.nullcontext() if libyaml else mock.patch.object(source, "_FAST_LOADER", None)
    )
    with loader, pack_dir(files) as (root, shown):
        result = load_bank([root])
    assert_all_or_nothing(result, shown, files)
    assert result.questions == ()
    assert [(p.line, p.field, p.message) for p in result.errors] == [
        (second, key, f"duplicate key; already set on line {first}")
    ]


# --- nesting -------------------------------------------------------------------------------------


def depth(node: yaml.Node) -> int:
    """How many collections deep ``node`` goes; aliases may form cycles, so walk with a stack."""
    deepest = 0
    stack: list[tuple[yaml.Node, int, frozenset[int]]] = [(node, 0, frozenset())]
    while stack:
        current, level, path = stack.pop()
        if not isinstance(current, yaml.CollectionNode) or id(current) in path:
            continue
        level += 1
        deepest = max(deepest, level)
        children: list[yaml.Node] = (
            [n for pair in current.value for n in pair]
            if isinstance(current, yaml.MappingNode)
            else list(current.value)
        )
        stack.extend((child, level, path | {id(current)}) for child in children)
    return deepest


nested = st.recursive(
    st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, min_size=1, max_size=3)
    ),
    max_leaves=40,
)
yaml_shapes = nested.flatmap(
    lambda doc: st.sampled_from(
        [
            yaml.safe_dump(doc, default_flow_style=False, indent=2),
            yaml.safe_dump(doc, default_flow_style=True),
            yaml.safe_dump(doc, default_flow_style=None),
        ]
    )
)
structural = st.lists(
    st.sampled_from(
        ["[", "]", "{", "}", "- ", "? ", ": ", ",", "\n", "  ", "a", "&a ", "*a", "\r"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=yaml_shapes | structural)
def test_nesting_bound_is_never_below_the_real_depth(text: str) -> None:
    """libyaml is used only below a cheap depth bound, because deep nesting crashes it.

    The bound is only sound if no document libyaml accepts nests deeper than it.
    """
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return
    if root is not None:
        assert depth(root) <= source._nesting_bound(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 600 + "]" * 600,
        "{a: " * 30_000 + "1" + "}" * 30_000,
        "- " * 60_000 + "x\n",
        "questions:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 1_200)),
    ],
    ids=["flow-lists", "flow-maps", "compact-lists", "indented-maps"],
)
def test_absurd_nesting_is_a_problem_not_a_crash(text: str) -> None:
    """libyaml's composer overflows the C stack somewhere past 20,000 levels (a segfault).

    The flow-map and compact-list cases crash the whole test run if the guard
    in bot/bank/source.py is removed.
    """
    files = {"deep.yaml": text.encode()}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
    assert_all_or_nothing(result, shown, files)
    assert result.errors


def test_problem_text_stays_on_one_short_line() -> None:
    """A tag may spell a line break as %0A, and an alias name may be megabytes long."""
    text = "topic: !x%0Ay%E2%80%AEz evaluation\nquestions:\n  - *" + "a" * 10_000 + "\n"
    files = {"pack.yaml": text.encode()}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)
    (problem,) = result.errors
    assert problem.message.startswith("invalid YAML: found undefined alias 'aaa")
    assert problem.message.endswith("…")

    files = {"pack.yaml": b"topic: !x%0Ay%E2%80%AEz evaluation\nquestions: []\n"}
    with pack_dir(files) as (root, shown):
        result = load_bank([root])
        assert_all_or_nothing(result, shown, files)
    assert result.errors[0].message == ("topic must be text, got a value tagged !x\\ny\\u202ez")


def test_long_prose_lines_stay_on_the_fast_parser() -> None:
    """A 2,000-character explanation on one line is not deep nesting: it must
    not be sent to the slow pure-Python parser."""
    prose = "A pre-trained model, fine-tuned: is it better? " * 45
    text = f"questions:\n  - id: long-line\n    explanation: {prose}\n"
    assert len(prose) > 2000
    assert source._nesting_bound(text) < source._FAST_DEPTH_LIMIT
