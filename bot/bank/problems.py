"""Problems found while loading question packs.

Every problem points at a file and line so that an author can jump straight to
it, in the ``file:line:`` shape that editors and CI logs already understand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the bank.

    ``line`` is 1-based; 0 means the problem is about the whole path (for
    example a configured directory that does not exist).
    """

    file: str
    line: int
    question_id: str | None
    field: str | None
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.question_id or '-'}: {self.field or '-'}: "
            f"{self.message}"
        )


def display_path(path: Path) -> str:
    """Shorten ``path`` to be relative to the working directory when it lies below it.

    Authors run the checker from the repository root, where short paths are
    both readable and clickable; paths elsewhere stay absolute so they remain
    unambiguous.
    """
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
