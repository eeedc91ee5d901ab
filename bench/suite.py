"""Run every benchmark, each in its own process, and print one table.

    bench/run            full size (the figures in the README)
    bench/run --quick    small N, under 30 s: the CI smoke test

Exits non-zero only if a benchmark crashes; a missed target is shown in the
table (and explained in the README), not hidden behind a red build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

from common import ROOT, Figure, cores, format_value

BENCHMARKS = (
    "answer_burst",
    "slack_clicks",
    "leaderboard",
    "scheduling",
    "bank_load",
    "reveal",
    "soak",
    "charts",
    "review_queue",
    "scale",
    "takeover",
)
VERDICTS = {None: "", True: "ok", False: "MISSED"}
QUICK_VERDICTS = {None: "", True: "ok*", False: "below*"}


def run_one(name: str, quick: bool) -> tuple[list[Figure], float, str]:
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--json"]
    if quick:
        command.append("--quick")
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    figures = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            figures.append(Figure(**json.loads(line)))
    error = ""
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        error = "\n".join(tail) or f"exit code {done.returncode}"
    return figures, elapsed, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, for a smoke test")
    parser.add_argument("only", nargs="*", choices=[*BENCHMARKS, []], help="run only these")
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    print(
        f"studybot benchmarks ({'quick' if args.quick else 'full'}): "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{cores()} cores, {platform.machine()}, "
        f"loop={os.environ.get('STUDYBOT_EVENT_LOOP') or 'uvloop if installed'}"
    )
    width = 44
    print(f"{'benchmark / figure':<{width}} {'value':>12}  {'unit':<10} {'target':<10} result")
    failures = 0
    met = missed = 0
    for name in chosen:
        figures, elapsed, error = run_one(name, args.quick)
        print(f"-- {name} ({elapsed:.1f} s)")
        for figure in figures:
            verdicts = QUICK_VERDICTS if args.quick else VERDICTS
            result = verdicts[figure.met]
            met += figure.met is True
            missed += figure.met is False
            note = f"  {figure.note}" if figure.note else ""
            print(
                f"   {figure.name:<{width - 3}} {format_value(figure.value):>12}  "
                f"{figure.unit:<10} {figure.target:<10} {result}{note}"
            )
        if error:
            failures += 1
            print(f"   FAILED: {error}")
    if args.quick:
        print(f"targets at quick sizes: {met} reached, {missed} not; {failures} failed to run")
        print("* the targets are set for the full sizes; at --quick sizes they only orient")
    else:
        print(f"targets: {met} met, {missed} missed; {failures} benchmark(s) failed to run")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
