"""The ``studybot bank check`` and ``studybot bank stats`` commands for pack authors.

They return exit codes instead of exiting so the CLI and CI hooks can share
them, and write to a given stream so tests can read the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.bank.loader import LoadResult, load_bank
from bot.bank.policy import check_policy
from bot.bank.problems import Problem
from bot.bank.stats import compute_stats, format_stats
from bot.bank.syllabus import SyllabusError, load_syllabus


def run_check(
    dirs: Sequence[Path], *, strict: bool, out: TextIO, syllabus: Path | None = None
) -> int:
    """Print every problem and a summary; 0 when the bank is fit to use.

    ``strict`` makes warnings fail too, for CI on shared packs where style
    slips should not pile up. ``syllabus`` adds the bank-wide coverage and
    balance rules, which only make sense once the bank loads.
    """
    result = load_bank(dirs)
    if syllabus is not None and result.ok:
        try:
            policy = load_syllabus(syllabus)
        except SyllabusError as exc:
            print(f"syllabus error: {exc}", file=out)
            return 1
        extra = check_policy(result.questions, policy)
        result = LoadResult(result.questions, result.problems + tuple(extra), result.files)
    _print_problems(result, out)
    failed = not result.ok or (strict and bool(result.warnings))
    return 1 if failed else 0


def run_stats(dirs: Sequence[Path], *, out: TextIO) -> int:
    """Print bank statistics, or the problems when the bank does not load."""
    result = load_bank(dirs)
    if not result.ok:
        _print_problems(result, out)
        return 1
    print(format_stats(compute_stats(result.questions)), file=out)
    if result.warnings:
        count = len(result.warnings)
        print(f"\n{count} warnings; run `studybot bank check` to see them", file=out)
    return 0


def _print_problems(result: LoadResult, out: TextIO) -> None:
    for problem in result.problems:
        print(_format_problem(problem), file=out)
    print(
        f"{len(result.questions)} questions in {result.files} files: "
        f"{len(result.errors)} errors, {len(result.warnings)} warnings",
        file=out,
    )


def _format_problem(problem: Problem) -> str:
    # Keep the plain file:line shape and flag warnings at the end, so tools that
    # jump to file:line still work and errors stay easy to tell apart.
    return str(problem) if problem.is_error else f"{problem} [warning]"
