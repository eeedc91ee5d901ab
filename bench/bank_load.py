"""Bank load: read and validate every question pack, as start-up does.

The baseline, in the same run, is the same load with PyYAML's pure-Python
parser (what the bot falls back to when libyaml is missing). The full
``bank check --strict`` (syllabus and near-duplicate policy on top) is shown
for context; it runs in CI and by authors, not at start-up.

    python bench/bank_load.py [--quick] [--json]
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from unittest import mock

from common import ROOT, Figure, cli

from bot.bank import QuestionBank, source
from bot.bank.commands import run_check
from bot.bank.loader import load_bank

PACKS = ROOT / "questions"
SYLLABUS = ROOT / "config" / "syllabus.toml"


def _timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _load() -> int:
    result = load_bank([PACKS])
    assert result.ok, result.problems[:3]
    return len(QuestionBank(result.questions))


def measure(quick: bool) -> list[Figure]:
    runs = 3 if quick else 7
    count = _load()  # warm the file cache and imports once
    fast = _timed(_load, runs)
    with mock.patch.object(source, "_FAST_LOADER", None):
        slow = _timed(_load, max(1, runs // 2))
    check = _timed(lambda: run_check([PACKS], strict=True, out=io.StringIO(), syllabus=SYLLABUS), 1)
    median = statistics.median(fast)
    return [
        Figure("questions", count, "questions"),
        Figure("bank_load_ms", median, "ms", "< 300", note=f"median of {runs}"),
        Figure("bank_load_max_ms", max(fast), "ms"),
        Figure("bank_load_pure_python_ms", statistics.median(slow), "ms", note="baseline"),
        Figure("speedup_vs_pure_python", statistics.median(slow) / median, "x"),
        Figure("bank_check_strict_ms", check[0], "ms", note="context: CI and authors"),
    ]


if __name__ == "__main__":
    cli(__doc__ or "", measure)
