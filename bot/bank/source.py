"""Turn one pack file into a YAML node tree, or into problems explaining why not.

The validator works on PyYAML's composed nodes rather than on plain Python
objects because only nodes remember where they came from: that is what lets
every later problem name the exact line to fix.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import yaml

from bot.bank.problems import Problem


def compose_file(path: Path, file: str) -> tuple[yaml.Node | None, list[Problem]]:
    """Read and compose ``path``; ``file`` is the name to show in problems.

    Returns the root node, or ``None`` together with the reason the file
    cannot be used at all. Never raises for bad content.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file, 0, None, None, f"cannot read file: {exc.strerror or exc}")]

    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        message = f"file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8"
        return None, [Problem(file, line, None, None, message)]

    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(file, exc)]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        message = f"invalid YAML: character U+{exc.character:04X} is not allowed"
        return None, [Problem(file, line, None, None, message)]
    except yaml.YAMLError as exc:
        first_line = str(exc).strip().splitlines()[:1] or ["unknown error"]
        return None, [Problem(file, 1, None, None, f"invalid YAML: {first_line[0]}")]
    except RecursionError:
        return None, [Problem(file, 1, None, None, "invalid YAML: nested too deeply")]

    if root is None or (root.tag == "tag:yaml.org,2002:null" and not root.value):
        return None, [Problem(file, 1, None, None, "file is empty; expected a 'questions' list")]
    return root, []


# libyaml's loader is about 20 times faster; the pure-Python one words syntax
# errors best, so it re-reads only a file that failed.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)

# libyaml's composer recurses in C once per nesting level, so a file nested a
# few thousand levels deep overflows the C stack and kills the whole process
# (a segfault, not an exception). The pure-Python composer stops at Python's
# recursion limit instead, which compose_file reports as "nested too deeply".
# Packs nest four levels; 1000 stays far below the C stack even in a thread.
_FAST_DEPTH_LIMIT = 1000


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep ``text`` can nest, cheap enough for every file.

    Each flow level needs its own ``[`` or ``{``. A block collection nested
    under another starts further right, except a list written flush under its
    key, so a line starts at most twice its indentation deep; on the line
    itself only ``-`` and ``?`` indicators open new levels (two each at most,
    counting a mapping inside). Long prose lines therefore stay on the fast
    parser; only real nesting, or a line full of dashes, does not.
    """
    block = 0
    for line in text.split("\n"):
        rest = line.lstrip(" ")
        opened = rest.count("-") + rest.count("?")
        block = max(block, 2 * (len(line) - len(rest) + 1) + 2 * opened + 2)
    return block + text.count("[") + text.count("{")


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None and _nesting_bound(text) <= _FAST_DEPTH_LIMIT:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = (exc.problem or exc.context or "syntax error").removeprefix("but ")
    message = f"invalid YAML: {problem}"
    if exc.problem and exc.context:
        context_line = exc.context_mark.line + 1 if exc.context_mark is not None else line
        where = f", line {context_line}" if context_line != line else ""
        message += f" ({exc.context}{where})"
    return Problem(file, line, None, None, message)
