"""Takeover: how long a dead bot process's schedules go unarmed.

Several real bot processes (OS processes, each a runtime from
``build_runtime`` with a recording platform, on the real clock and the real
lease timer) share one fresh PostgreSQL database holding N daily schedules.
Each renews its lease every ``lease / 3`` and arms only the schedules it owns
(bot/core/ownership.py). Once every schedule is armed exactly once (the
processes' "now owning" log lines add up to N, every process owns some, and
``workers`` agrees), one process is stopped and the clock runs until the
survivors' armed schedules add up to N again:

* ``takeover_s``: the process is SIGKILLed. Nobody tells the others; they
  take over when its lease has expired, at their next renewal after that.
  The kill lands anywhere in its renewal cycle (a random wait before it), so
  the delay lies between ``2/3`` and ``4/3`` of the lease, plus the time an
  adoption takes; the median should sit near one lease.
* ``clean_handover_s``: the process gets SIGTERM, closes its runtime, and
  gives its lease up (deletes its row). The others adopt at their next
  renewal: at most ``lease / 3``, about ``lease / 6`` on average.

Both are also given as a ratio to the lease, the baseline that does not
depend on the chosen lease or this machine. The instant of completion is the
timestamp the last adopting survivor logged (the same clock as the parent's:
one machine), not when the parent read it. ``takeover_db_status_s`` is when
``workers`` (what ``studybot db status`` shows) first agreed: a renewal that
adopted work writes its new counts right after, so this trails the arming by
one write and the parent's polling.

Each stopped process is replaced by a new one before the next trial, so every
trial starts from the same number of processes. Schedules are due hours from
now, so adopting them posts nothing (no late post within the grace).

    python bench/takeover.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

from common import ROOT, Figure, cli

import tests.postgres as pg
from bot import process
from bot.config import DatabaseSettings, Settings
from bot.core.models import ChannelRef, Schedule
from bot.storage import SqlStore
from bot.storage.opening import open_database

SEED = 29
LEASE_S = 3
"""The smallest lease the config allows (``scale.lease_seconds >= 3``)."""
PROCESSES = 3
WORKER_FLAG = "--worker"
SCRIPT = str(Path(__file__).resolve())
OWNING = re.compile(r"^(\d+\.\d+) bot\.core\.ownership now owning (\d+) schedules")
STABLE_TIMEOUT_S = 30.0
"""Start-up (imports, connecting) plus a couple of renewals; far more than needed."""
TAKEOVER_TIMEOUT_S = 4 * LEASE_S
TABLE_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Size:
    schedules: int
    kills: int
    terms: int


FULL = Size(schedules=200, kills=5, terms=3)
QUICK = Size(schedules=50, kills=2, terms=1)


# ---- the worker: one bot process ---------------------------------------


async def _serve() -> None:
    """Run a runtime until SIGTERM, logging (with timestamps) to stdout."""
    import logging

    from bot.app import build_runtime
    from tests.helpers import RecordingPlatform, small_bank

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(created).6f %(name)s %(message)s"
    )
    runtime = await build_runtime(Settings(), bank=small_bank(), rng=random.Random(SEED))
    runtime.platforms["test"] = RecordingPlatform()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # The parent holds our stdin open: end of file means it is gone, and an
    # orphaned bot process would otherwise idle (and hold its lease) forever.
    loop.add_reader(sys.stdin.fileno(), stop.set)
    await runtime.start()
    assert runtime.coordinator is not None, "the database is not shared"
    print(f"{time.time():.6f} ready {runtime.coordinator.name}", flush=True)
    try:
        await stop.wait()
    finally:
        await runtime.close()
    print(f"{time.time():.6f} closed", flush=True)


# ---- the parent: processes, trials, figures ------------------------------


@dataclass
class Worker:
    """One child bot process and what its log says it has armed."""

    proc: asyncio.subprocess.Process
    events: list[tuple[float, int]] = field(default_factory=list)
    """(timestamp, schedules armed) from each "now owning" line, in log order."""
    name: str = ""
    tail: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    @property
    def owned(self) -> int:
        return self.events[-1][1] if self.events else 0

    def owned_at(self, instant: float) -> int:
        count = 0
        for stamp, owned in self.events:
            if stamp > instant:
                break
            count = owned
        return count

    async def read(self) -> None:
        assert self.proc.stdout is not None
        while line := (await self.proc.stdout.readline()).decode(errors="replace"):
            line = line.rstrip("\n")
            self.tail = [*self.tail[-30:], line]
            if match := OWNING.match(line):
                self.events.append((float(match[1]), int(match[2])))
            elif " ready " in line:
                self.name = line.split(" ready ", 1)[1]
            self.changed.set()
        self.changed.set()


def _child_environment(url: str) -> dict[str, str]:
    """This environment without any studybot or libpq setting that could point
    the children elsewhere, plus the database and the lease, set as an
    operator would set them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("STUDYBOT_", "PG"))
    }
    env["STUDYBOT_DATABASE_URL"] = url
    env["STUDYBOT_SCALE__LEASE_SECONDS"] = str(LEASE_S)
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def _spawn(url: str) -> Worker:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        SCRIPT,
        WORKER_FLAG,
        cwd=ROOT,
        env=_child_environment(url),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    worker = Worker(proc)
    worker.reader = asyncio.create_task(worker.read())
    return worker


def _tails(workers: list[Worker]) -> str:
    return "\n".join(f"pid {w.proc.pid}:\n  " + "\n  ".join(w.tail[-8:]) for w in workers)


async def _until(
    workers: list[Worker], done: Callable[[], bool], limit_s: float, what: str
) -> None:
    """Wait until ``done()`` holds, re-checking at every log line of any
    worker; fail with the workers' logs if one dies or time runs out."""
    deadline = time.monotonic() + limit_s
    while not done():
        for worker in workers:
            if worker.proc.returncode is not None:
                raise RuntimeError(
                    f"a worker exited ({worker.proc.returncode}) while waiting "
                    f"for {what}:\n{_tails(workers)}"
                )
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"timed out waiting for {what}:\n{_tails(workers)}")
        waits = [asyncio.create_task(w.changed.wait()) for w in workers]
        await asyncio.wait(waits, timeout=min(left, TABLE_POLL_S), return_when="FIRST_COMPLETED")
        for task in waits:
            task.cancel()
        for worker in workers:
            worker.changed.clear()


async def _table(store: SqlStore) -> tuple[int, int]:
    """What ``workers`` says now: live processes and the schedules they own."""
    now = datetime.now(UTC)
    live = [w for w in await store.list_workers() if w.live(now)]
    return len(live), sum(w.schedules for w in live)


async def _stable(workers: list[Worker], store: SqlStore, total: int) -> None:
    """Every schedule armed exactly once, by processes that each own some,
    and the table saying the same."""

    def armed() -> bool:
        return sum(w.owned for w in workers) == total and all(w.owned > 0 for w in workers)

    await _until(workers, armed, STABLE_TIMEOUT_S, f"{len(workers)} workers to arm {total}")
    deadline = time.monotonic() + STABLE_TIMEOUT_S
    while await _table(store) != (len(workers), total):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers table never agreed: {await _table(store)}")
        await asyncio.sleep(TABLE_POLL_S)


@dataclass(frozen=True, slots=True)
class Trial:
    kind: str
    seconds: float
    """From the signal to the last survivor's adoption, by its log's clock."""
    table_seconds: float
    """From the signal to ``workers`` showing the survivors owning every schedule."""


async def _trial(
    workers: list[Worker], victim: Worker, store: SqlStore, total: int, sig: signal.Signals
) -> Trial:
    survivors = [w for w in workers if w is not victim]
    seen = {id(w): len(w.events) for w in survivors}
    sent = time.time()
    victim.proc.send_signal(sig)

    def adopted() -> bool:
        return sum(w.owned for w in survivors) == total

    await _until(survivors, adopted, TAKEOVER_TIMEOUT_S, "the survivors to adopt everything")
    # The first instant, by the survivors' own timestamps, at which their
    # armed schedules added up to N (lines from two pipes may arrive out of order).
    stamps = sorted(stamp for w in survivors for stamp, _ in w.events[seen[id(w)] :])
    finished = next(s for s in stamps if sum(w.owned_at(s) for w in survivors) == total)
    deadline = time.monotonic() + TAKEOVER_TIMEOUT_S
    while await _table(store) != (len(survivors), total):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers table never showed the takeover: {await _table(store)}")
        await asyncio.sleep(TABLE_POLL_S)
    table_seen = time.time()
    code = await asyncio.wait_for(victim.proc.wait(), STABLE_TIMEOUT_S)
    if victim.reader is not None:
        await victim.reader
    expected = -signal.SIGKILL if sig is signal.SIGKILL else 0
    if code != expected:
        raise RuntimeError(f"the stopped worker exited {code}, not {expected}:\n{_tails([victim])}")
    if sig is signal.SIGTERM and not any(line.endswith(" closed") for line in victim.tail):
        raise RuntimeError(f"the SIGTERM'd worker did not close cleanly:\n{_tails([victim])}")
    return Trial(sig.name, finished - sent, table_seen - sent)


async def _schedules(url: str, total: int) -> None:
    """N schedules, due hours from now, so adopting them posts nothing."""
    db = await open_database(Settings(database=DatabaseSettings(url=url)))
    try:
        store = SqlStore(db)
        due = (datetime.now(UTC) + timedelta(hours=6)).time().replace(second=0, microsecond=0)
        for i in range(total):
            await store.save_schedule(
                Schedule(
                    channel=ChannelRef("test", "bench", f"chan-{i}"),
                    post_time=time_of_day(due.hour, due.minute),
                    timezone="UTC",
                    weekdays=frozenset(range(7)),
                    reveal_after=timedelta(hours=1),
                )
            )
    finally:
        await db.close()


async def _measure(server_url: str, size: Size) -> list[Trial]:
    name = f"studybot_bench_{uuid.uuid4().hex[:16]}"
    assert pg._NAME.match(name)  # an identifier cannot be a parameter; this one is ours
    url = pg.with_database(server_url, name)
    import asyncpg

    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    workers: list[Worker] = []
    try:
        await _schedules(url, size.schedules)
        db = await open_database(Settings(database=DatabaseSettings(url=url)), migrate=False)
        try:
            store = SqlStore(db)
            workers += await asyncio.gather(*(_spawn(url) for _ in range(PROCESSES)))
            await _stable(workers, store, size.schedules)
            rng = random.Random(SEED)
            kinds = [signal.SIGKILL] * size.kills + [signal.SIGTERM] * size.terms
            rng.shuffle(kinds)
            trials = []
            for sig in kinds:
                # Land the stop anywhere in the renewal cycle, not just after one.
                await asyncio.sleep(rng.uniform(0, LEASE_S / 3))
                victim = workers[rng.randrange(len(workers))]
                trials.append(await _trial(workers, victim, store, size.schedules, sig))
                workers.remove(victim)
                if len(trials) < len(kinds):
                    workers.append(await _spawn(url))
                    await _stable(workers, store, size.schedules)
            return trials
        finally:
            await _stop_all(workers)
            await db.close()
    finally:
        await pg.drop(server_url, url)


async def _stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.proc.returncode is None:
            worker.proc.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.wait_for(worker.proc.wait(), 15)
        except TimeoutError:
            worker.proc.kill()
            await worker.proc.wait()
        if worker.reader is not None:
            with contextlib.suppress(Exception):
                await worker.reader


def postgres_server() -> AbstractContextManager[str]:
    return pg.server_for("bench/takeover.py")


def measure(quick: bool) -> list[Figure]:
    size = QUICK if quick else FULL
    with postgres_server() as server_url:
        trials = process.run(_measure(server_url, size))
    kills = [t for t in trials if t.kind == "SIGKILL"]
    terms = [t for t in trials if t.kind == "SIGTERM"]
    killed = [t.seconds for t in kills]
    handed = [t.seconds for t in terms]
    context = (
        f"{PROCESSES} processes, {size.schedules} schedules, lease {LEASE_S} s, "
        f"renewal every {LEASE_S / 3:.1f} s"
    )
    median_kill = statistics.median(killed)
    median_term = statistics.median(handed)
    return [
        Figure("lease_s", LEASE_S, "s", note=context),
        Figure("takeover_s", median_kill, "s", note=f"SIGKILL, median of {len(killed)}"),
        Figure("takeover_s_max", max(killed), "s"),
        Figure(
            "takeover_vs_lease",
            median_kill / LEASE_S,
            "x",
            "<= 1.4",
            note="expected 2/3..4/3 of the lease, about 1 on average",
        ),
        Figure("takeover_vs_lease_max", max(killed) / LEASE_S, "x", "<= 1.4"),
        Figure(
            "takeover_db_status_s",
            statistics.median(t.table_seconds for t in kills),
            "s",
            note="when `db status` (the workers table) shows it",
        ),
        Figure("clean_handover_s", median_term, "s", note=f"SIGTERM, median of {len(handed)}"),
        Figure("clean_handover_s_max", max(handed), "s"),
        Figure(
            "clean_handover_vs_lease",
            median_term / LEASE_S,
            "x",
            "<= 0.4",
            note="at most one renewal, lease/3",
        ),
    ]


def main() -> None:
    if sys.argv[1:] == [WORKER_FLAG]:
        process.run(_serve())
        return
    cli(__doc__ or "", measure)


if __name__ == "__main__":
    main()
