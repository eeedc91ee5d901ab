"""Where the files that ship with studybot are, wherever it was started from.

The question bank, the default config and the syllabus live at the top of the
repository (questions/, config/). A wheel carries copies of them inside the
package (``bot/_bundled/``, mapped in pyproject.toml), so ``pip install
.`` or ``pipx install`` followed by ``studybot`` in any folder finds the whole
bank. An editable install or a source checkout reads them from the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_bundled"
CHECKOUT = PACKAGE.parent


def shipped(relative: str) -> Path | None:
    """A file or folder that ships with studybot (``questions``,
    ``config/studybot.toml``), from the wheel or the checkout; None if absent."""
    for root in (BUNDLED, CHECKOUT):
        if root is CHECKOUT and not (CHECKOUT / "pyproject.toml").is_file():
            continue  # installed: the folder above the package is site-packages
        candidate = root / relative
        if candidate.exists():
            return candidate
    return None


def data_home() -> Path:
    """The per-user data folder (XDG): ``$XDG_DATA_HOME/studybot``, by default
    ``~/.local/share/studybot``."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / "studybot"


def default_database() -> Path:
    return data_home() / "studybot.sqlite3"
