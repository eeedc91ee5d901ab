"""Proves, from the syntax tree, that no SQL the bot runs is built from data.

Every call to ``execute``, ``executemany``, ``execute_fetchall`` or
``executescript`` must pass SQL that is made only of things that cannot carry
user input: string literals, module constants made of those, ``placeholders()``
(which only ever emits ``?``), ``int()`` of something, and local names whose
every assignment is itself such an expression. Values go through ``?``
parameters. Anything the scan cannot prove is reported with its line, so a new
query either stays provably safe or gets looked at.

A line-based check only saw f-strings that began a line; this one also sees
``+`` concatenation, names assigned elsewhere, and conditional fragments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SQL_METHODS = frozenset({"execute", "executemany", "execute_fetchall", "executescript"})
SAFE_CALLS = frozenset({"placeholders", "int"})
# Calls whose result is as safe as their first argument: translating ``?`` into
# PostgreSQL's ``$n`` adds no data to the text.
TRANSPARENT_CALLS = frozenset({"numbered"})
# Functions that hand their ``sql`` argument (at this position) on to a SQL
# method. Their call sites are checked like ``execute`` calls, which is what
# lets the ``sql`` parameter be trusted inside them.
SQL_FORWARDERS = {
    "insert_returning_id": 1,
    "_execute": 0,
    "_executemany": 0,
    "_fetchall": 0,
}
# Fragments trusted by name, each for a stated reason.
TRUSTED_ATTRIBUTES = {
    # The numbered SQL files shipped inside the package (bot/storage/migrations).
    ("migration", "sql"),
    ("migration", "version"),
}


@dataclass
class Scope:
    """Assignments visible to one function (or to the module)."""

    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    parent: Scope | None = None

    def values(self, name: str) -> list[ast.expr] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.assigned:
                return scope.assigned[name]
            scope = scope.parent
        return None


def _record(scope: Scope, target: ast.expr, value: ast.expr | None) -> None:
    if isinstance(target, ast.Name):
        # An unknown value is a name nothing defines, so it is never trusted.
        scope.assigned.setdefault(target.id, []).append(value or ast.Name("<unknown>"))
    elif isinstance(target, ast.Tuple):
        for index, element in enumerate(target.elts):
            _record(scope, element, _element(value, index))


def _element(value: ast.expr | None, index: int) -> ast.expr | None:
    """The part of ``value`` that lands in position ``index`` of an unpacking."""
    if isinstance(value, ast.Tuple) and index < len(value.elts):
        return value.elts[index]
    if isinstance(value, ast.IfExp):
        body, orelse = _element(value.body, index), _element(value.orelse, index)
        if body is not None and orelse is not None:
            return ast.IfExp(test=value.test, body=body, orelse=orelse)
    return None  # unknown: treated as untrusted


def _collect(body: list[ast.stmt], scope: Scope) -> None:
    for node in body:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Assign):
                for target in inner.targets:
                    _record(scope, target, inner.value)
            elif isinstance(inner, ast.AnnAssign | ast.AugAssign):
                _record(scope, inner.target, inner.value)
            elif isinstance(inner, ast.For | ast.comprehension):
                _record(scope, inner.target, None)  # loop variables come from data


def _trusted(node: ast.expr | None, scope: Scope, seen: frozenset[str] = frozenset()) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int) or node.value is None
    if isinstance(node, ast.JoinedStr):
        return all(_trusted(part, scope, seen) for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return _trusted(node.value, scope, seen)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _trusted(node.left, scope, seen) and _trusted(node.right, scope, seen)
    if isinstance(node, ast.IfExp):
        return _trusted(node.body, scope, seen) and _trusted(node.orelse, scope, seen)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in TRANSPARENT_CALLS:
            return bool(node.args) and _trusted(node.args[0], scope, seen)
        return node.func.id in SAFE_CALLS
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return (node.value.id, node.attr) in TRUSTED_ATTRIBUTES
    if isinstance(node, ast.Name):
        if node.id in seen:
            return False
        values = scope.values(node.id)
        return bool(values) and all(_trusted(v, scope, seen | {node.id}) for v in values)
    return False


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _runs_sql(call: ast.Call) -> bool:
    name = _called_name(call)
    if name in SQL_FORWARDERS:
        return True
    return isinstance(call.func, ast.Attribute) and name in SQL_METHODS


def _sql_argument(call: ast.Call) -> ast.expr | None:
    position = SQL_FORWARDERS.get(_called_name(call) or "", 0)
    if len(call.args) > position:
        return call.args[position]
    for keyword in call.keywords:
        if keyword.arg in {"sql", "sql_script"}:
            return keyword.value
    return None


def unsafe_sql(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: code`` for every SQL call the scan cannot prove safe."""
    tree = ast.parse(source, filename)
    module = Scope()
    for node in tree.body:  # module constants only: top-level assignments
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _record(module, target, node.value)
        elif isinstance(node, ast.AnnAssign):
            _record(module, node.target, node.value)
    problems = []
    for function in _functions(tree):
        scope = Scope(parent=module)
        _collect(function.body, scope)
        forwards = function.name in SQL_METHODS or function.name in SQL_FORWARDERS
        for arg in (*function.args.args, *function.args.kwonlyargs, *function.args.posonlyargs):
            if forwards and arg.arg == "sql":
                # A wrapper's own SQL: every call of the wrapper is checked.
                scope.assigned.setdefault(arg.arg, []).append(ast.Constant(""))
            else:
                scope.assigned.setdefault(arg.arg, []).append(ast.Name("<unknown>"))
        for call in ast.walk(function):
            if (
                isinstance(call, ast.Call)
                and _runs_sql(call)
                and not _trusted(_sql_argument(call), scope)
            ):
                code = ast.get_source_segment(source, call) or ""
                problems.append(f"{filename}:{call.lineno}: {code.splitlines()[0]}")
    return problems


def scan_tree(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        problems += unsafe_sql(path.read_text("utf-8"), str(path.relative_to(root.parent)))
    return problems
