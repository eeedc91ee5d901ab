"""Shared plumbing for the benchmarks: figures, targets, percentiles.

Every benchmark prints one figure per line and can also emit them as JSON
lines for ``bench/run``, which runs each benchmark in its own process (so one
benchmark's memory and garbage never weigh on the next) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `bot` and `tests` importable
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    """e.g. ``>= 20000`` or ``< 50``; empty when the figure is context, not a goal."""
    note: str = ""

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        op, bound = self.target.split()
        limit = float(bound)
        return {
            ">=": self.value >= limit,
            ">": self.value > limit,
            "<=": self.value <= limit,
            "<": self.value < limit,
        }[op]

    def line(self) -> str:
        verdict = {None: "", True: "  ok", False: "  MISSED"}[self.met]
        target = f"  (target {self.target})" if self.target else ""
        note = f"  [{self.note}]" if self.note else ""
        return f"{self.name} {format_value(self.value)} {self.unit}{target}{verdict}{note}"


def format_value(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% at or below it."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def rss_mb() -> float:
    """Resident memory now, from /proc where available (peak RSS otherwise)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cli(description: str, measure: Callable[[bool], list[Figure]]) -> None:
    """Run one benchmark: ``--quick`` for small N, ``--json`` for bench/run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small N, for a smoke test")
    parser.add_argument("--json", action="store_true", help="emit JSON lines for bench/run")
    args = parser.parse_args()
    for figure in measure(args.quick):
        print(json.dumps(asdict(figure)) if args.json else figure.line(), flush=True)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
