"""Typed reads from composed YAML nodes that turn every surprise into a Problem.

Reading never raises: a value of the wrong shape is reported against the line
it sits on and read as ``None``, so checking can carry on and find the rest.
"""

from __future__ import annotations

import difflib
import enum
import re
from typing import TypeVar

import yaml

from bot.bank.problems import Problem, Severity

Entries = dict[str, tuple[yaml.Node, yaml.Node]]
"""Mapping keys to their (key node, value node)."""

E = TypeVar("E", bound=enum.StrEnum)

_STR_TAG = "tag:yaml.org,2002:str"
_TAG_NAMES = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a true/false value",
    "tag:yaml.org,2002:null": "an empty value",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a merge key (<<), which packs do not support",
    "tag:yaml.org,2002:binary": "binary data",
}


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def is_text(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG


def describe(node: yaml.Node) -> str:
    """Name what the author actually wrote, with a hint for YAML's implicit typing."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if is_text(node):
        return f"text ({quote(str(node.value))})"
    name = _TAG_NAMES.get(node.tag, f"a value tagged {node.tag}")
    if node.tag in _TAG_NAMES and node.value:
        name += f" ({quote(str(node.value))}); put it in quotes if you meant text"
    return name


def quote(text: str, limit: int = 40) -> str:
    """Echo author input safely: short, with newlines escaped to keep one problem per line."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


class NodeReader:
    """Reads values for one file, or one question in it, and records what is wrong.

    ``errors`` counts only the errors this reader reported, which is how a
    caller tells whether a particular question came through clean.
    """

    def __init__(
        self,
        file: str,
        problems: list[Problem],
        question_id: str | None = None,
        keys: dict[int, yaml.Node] | None = None,
    ) -> None:
        self.file = file
        self.problems = problems
        self.question_id = question_id
        self.errors = 0
        # A block list or mapping starts on the line after its key; problems with
        # the collection as a whole read better on the key's line. Keyed by id().
        self._keys: dict[int, yaml.Node] = {} if keys is None else keys

    def for_question(self, question_id: str | None) -> NodeReader:
        return NodeReader(self.file, self.problems, question_id, self._keys)

    def error(self, where: yaml.Node, field: str | None, message: str) -> None:
        self._add(where, field, message, "error")

    def warn(self, where: yaml.Node, field: str | None, message: str) -> None:
        self._add(where, field, message, "warning")

    def _add(self, where: yaml.Node, field: str | None, message: str, severity: Severity) -> None:
        where = self._keys.get(id(where), where)
        problem = Problem(self.file, line_of(where), self.question_id, field, message, severity)
        self.problems.append(problem)
        if severity == "error":
            self.errors += 1

    def mapping(self, node: yaml.MappingNode) -> Entries:
        """The mapping's entries; non-text and repeated keys are reported and skipped."""
        found: Entries = {}
        for key, value in node.value:
            if not is_text(key):
                self.error(key, None, f"keys must be plain text, got {describe(key)}")
                continue
            name = str(key.value)
            if name in found:
                first = line_of(found[name][0])
                self.error(key, _label(name), f"duplicate key; already set on line {first}")
                continue
            found[name] = (key, value)
            if isinstance(value, yaml.CollectionNode):
                self._keys[id(value)] = key
        return found

    def reject_unknown(self, found: Entries, allowed: tuple[str, ...], what: str) -> None:
        for name, (key, _) in found.items():
            if name in allowed:
                continue
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
            self.error(key, _label(name), f"unknown {what}; {hint}")

    def text(
        self,
        node: yaml.Node,
        field: str,
        limits: tuple[int, int] | None = None,
        what: str | None = None,
    ) -> str | None:
        """The stripped text, or ``None`` when there is no usable text.

        Length problems are reported but the text is still returned, so checks
        that span several values (total size, duplicate options) can run too.
        """
        label = what or field
        if not is_text(node):
            self.error(node, field, f"{label} must be text, got {describe(node)}")
            return None
        value = str(node.value).strip()
        if not value:
            self.error(node, field, f"{label} is empty")
            return None
        if limits is not None:
            low, high = limits
            size = len(value)
            if size < low:
                self.error(node, field, f"{label} is too short: {size} characters, minimum {low}")
            elif size > high:
                self.error(node, field, f"{label} is too long: {size} characters, limit {high}")
        return value

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, field, f"{field} must be a list, got {describe(node)}")
            return None
        return list(node.value)

    def slug(self, node: yaml.Node, field: str, pattern: re.Pattern[str], rule: str) -> str | None:
        value = self.text(node, field)
        if value is not None and not pattern.fullmatch(value):
            self.error(node, field, f"{quote(value)} is not a valid {field}: {rule}")
            return None
        return value

    def one_of(self, node: yaml.Node, field: str, options: type[E]) -> E | None:
        value = self.text(node, field)
        if value is None:
            return None
        try:
            return options(value)
        except ValueError:
            allowed = ", ".join(option.value for option in options)
            self.error(node, field, f"must be one of {allowed}; got {quote(value)}")
            return None


def _label(name: str) -> str:
    """A key name fit for the problem's field column."""
    return quote(name)[1:-1]
