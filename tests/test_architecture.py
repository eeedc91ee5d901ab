"""The layering rules, checked mechanically so they cannot rot."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

BOT = Path(__file__).parents[1] / "bot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_core_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for path in (BOT / "core").rglob("*.py"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if (
                module.startswith("bot.core")
                or top in sys.stdlib_module_names
                or top == "__future__"
            ):
                continue
            offenders.append(f"{path.relative_to(BOT.parent)} imports {module}")
    assert offenders == []


def test_only_adapters_import_chat_libraries() -> None:
    offenders = [
        f"{path.relative_to(BOT.parent)} imports {module}"
        for path in BOT.rglob("*.py")
        if "adapters" not in path.parts
        for module in imported_modules(path)
        if module.split(".")[0] in {"discord", "slack_bolt", "slack_sdk"}
    ]
    assert offenders == []


def test_every_module_is_importable() -> None:
    import importlib

    for path in BOT.rglob("*.py"):
        name = ".".join(path.relative_to(BOT.parent).with_suffix("").parts)
        importlib.import_module(name.removesuffix(".__init__"))


def test_only_the_srs_module_imports_fsrs() -> None:
    """The domain talks to FSRS through the CardScheduler port; bot/srs.py is
    the one place that knows the package."""
    importers = sorted(
        str(path.relative_to(BOT.parent))
        for path in BOT.rglob("*.py")
        if any(module.split(".")[0] == "fsrs" for module in imported_modules(path))
    )
    assert importers == ["bot/srs.py"]
