"""Load every question pack under the configured directories, all or nothing.

A bank that loads only partly would quietly drop questions from rounds, so any
error leaves the result without questions and the caller refuses to start; the
problems list then tells the author everything to fix in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.bank.problems import Problem, display_path
from bot.bank.schema import check_file
from bot.bank.source import compose_file
from bot.core.questions import Question

PACK_SUFFIXES = frozenset({".yaml", ".yml"})
# The loader's own messages stay far below this; only an echoed tag or alias can reach it.
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class LoadResult:
    questions: tuple[Question, ...] = ()
    problems: tuple[Problem, ...] = ()
    files: int = 0

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_bank(dirs: Sequence[Path]) -> LoadResult:
    """Load and validate all packs under ``dirs``; never raises for bad content."""
    problems: list[Problem] = []
    questions: list[Question] = []
    first_seen: dict[str, str] = {}

    paths = find_pack_files(dirs, problems)
    for path in paths:
        file = display_path(path)
        root, file_problems = compose_file(path, file)
        if root is not None:
            check = check_file(root, file)
            file_problems.extend(check.problems)
            questions.extend(check.questions)
            for qid, line in check.ids:
                if qid in first_seen:
                    message = f"duplicate id; also defined at {first_seen[qid]}"
                    file_problems.append(Problem(file, line, qid, "id", message))
                else:
                    first_seen[qid] = f"{file}:{line}"
        problems.extend(one_line(p) for p in sorted(file_problems, key=lambda p: p.line))

    failed = any(p.is_error for p in problems)
    return LoadResult(
        questions=() if failed else tuple(questions),
        problems=tuple(problems),
        files=len(paths),
    )


def one_line(problem: Problem) -> Problem:
    """``problem`` with a message that fits on one short line, whatever the file held.

    Messages echo what the author wrote: a tag, an alias name, YAML's own
    wording. A broken or hostile file can put a line break there (``!a%0Ab``
    is a tag containing one), a right-to-left override, or megabytes of text,
    and each would break the ``file:line:`` output that editors and CI parse.
    """
    message = problem.message
    if message.isprintable() and len(message) <= MESSAGE_LIMIT:
        return problem
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message
    )
    if len(shown) > MESSAGE_LIMIT:
        shown = shown[: MESSAGE_LIMIT - 1] + "…"
    return replace(problem, message=shown)


def find_pack_files(dirs: Sequence[Path], problems: list[Problem]) -> list[Path]:
    """Pack files under ``dirs`` in a stable order, each file once.

    Hidden files and folders are skipped so that pointing the bank at a
    repository root does not pick up things like ``.github/workflows/*.yml``.
    Overlapping directories would otherwise load the same file twice and
    report every id in it as a duplicate.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for directory in dirs:
        if not directory.exists():
            problems.append(
                Problem(display_path(directory), 0, None, None, "directory does not exist")
            )
            continue
        if not directory.is_dir():
            problems.append(Problem(display_path(directory), 0, None, None, "not a directory"))
            continue
        candidates = sorted(
            path
            for path in directory.rglob("*")
            if path.suffix in PACK_SUFFIXES
            and not any(part.startswith(".") for part in path.relative_to(directory).parts)
            and path.is_file()
        )
        for path in candidates:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append(path)
    return found
