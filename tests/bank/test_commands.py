"""The `bank check` and `bank stats` commands: output and exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.bank import run_check, run_stats

VALID = """\
topic: evaluation
difficulty: easy
questions:
  - id: eval-one
    prompt: Which metric is robust to class imbalance?
    choices: [Accuracy, PR-AUC, Error rate]
    answer: b
    explanation: PR-AUC ignores true negatives. A majority-class guesser cannot score well.
"""


@pytest.fixture
def pack_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "questions"
    directory.mkdir()
    return directory


def check(directory: Path, *, strict: bool = False) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check([directory], strict=strict, out=out)
    return code, out.getvalue().splitlines()


def stats(directory: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run_stats([directory], out=out)
    return code, out.getvalue()


def test_check_passes_a_clean_bank(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_text(VALID)

    assert check(pack_dir) == (0, ["1 questions in 1 files: 0 errors, 0 warnings"])
    assert check(pack_dir, strict=True) == (0, ["1 questions in 1 files: 0 errors, 0 warnings"])


def test_check_prints_every_problem_and_fails(pack_dir: Path) -> None:
    (pack_dir / "a.yaml").write_text(VALID.replace("answer: b", "answer: z"))
    (pack_dir / "b.yaml").write_text(VALID.replace("eval-one", "eval-two").replace("[Ac", "[a) Ac"))

    code, lines = check(pack_dir)

    assert code == 1
    assert lines == [
        "questions/a.yaml:7: eval-one: answer: must be one of the option letters a, b, c; got 'z'",
        "questions/b.yaml:6: eval-two: choices: option a starts with its own letter ('a) A'); "
        "remove it, the bot adds letters itself",
        "0 questions in 2 files: 2 errors, 0 warnings",
    ]


def test_warnings_pass_unless_strict(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_text("tags: [Metrics]\n" + VALID)
    warning = "questions/eval.yaml:1: -: tags: tag 'Metrics' should be lowercase [warning]"
    summary = "1 questions in 1 files: 0 errors, 1 warnings"

    assert check(pack_dir) == (0, [warning, summary])
    assert check(pack_dir, strict=True) == (1, [warning, summary])


def test_check_reports_a_missing_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert check(Path("nowhere")) == (
        1,
        [
            "nowhere:0: -: -: directory does not exist",
            "0 questions in 0 files: 1 errors, 0 warnings",
        ],
    )


def test_stats_prints_the_table(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_text(VALID)

    code, output = stats(pack_dir)

    assert code == 0
    assert output.startswith("1 questions in 1 topics\n")
    assert "evaluation" in output
    assert "warning" not in output


def test_stats_mentions_warnings(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_text("tags: [Metrics]\n" + VALID)

    code, output = stats(pack_dir)

    assert code == 0
    assert output.endswith("\n1 warnings; run `studybot bank check` to see them\n")


def test_stats_refuses_a_broken_bank(pack_dir: Path) -> None:
    (pack_dir / "eval.yaml").write_text(VALID.replace("answer: b", "answer: z"))

    code, output = stats(pack_dir)

    assert code == 1
    assert output.splitlines() == [
        "questions/eval.yaml:7: eval-one: answer: must be one of the option letters a, b, c; "
        "got 'z'",
        "0 questions in 1 files: 1 errors, 0 warnings",
    ]
