"""The composition root: builds the database, store, bank, scheduler and
services, and tears them down in reverse order.

Adapters receive a ready :class:`Services` and register their platform in
``platforms`` before :meth:`Runtime.start`, because start-up recovery may
already post (a late daily question) or reveal (an overdue round).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from prometheus_client import CollectorRegistry

from bot.bank import QuestionBank, load_bank
from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.community import GroupService, ReportService
from bot.core.drills import DrillService
from bot.core.leaderboards import LeaderboardService
from bot.core.ownership import Coordinator, OwnedJobs
from bot.core.ports import Clock, JobScheduler, Platform
from bot.core.privacy import PrivacyService
from bot.core.recap import RecapService
from bot.core.recovery import recover
from bot.core.reminders import ReminderService
from bot.core.reviews import ReviewService
from bot.core.rounds import RoundService
from bot.core.schedules import ScheduleService
from bot.core.settings import GameSettings
from bot.core.stats import StatsService
from bot.metrics import PrometheusTelemetry
from bot.scheduling import ApsJobScheduler
from bot.srs import FsrsScheduler
from bot.storage import SqlStore
from bot.storage.backup import backup, prune
from bot.storage.opening import open_database
from bot.storage.sql import Database

log = logging.getLogger(__name__)
T = TypeVar("T", int, str)


class BankError(Exception):
    """The question bank has errors; ``problems`` lists every one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"the question bank has {len(problems)} problem(s)")
        self.problems = problems


def load_question_bank(settings: Settings) -> QuestionBank:
    result = load_bank(settings.bank.all_dirs)
    if not result.ok:
        raise BankError([str(p) for p in result.problems if p.severity == "error"])
    return QuestionBank(result.questions)


@dataclass
class Services:
    """Everything an adapter may call."""

    rounds: RoundService
    schedules: ScheduleService
    boards: LeaderboardService
    groups: GroupService
    reports: ReportService
    recaps: RecapService
    drills: DrillService
    privacy: PrivacyService
    reviews: ReviewService
    reminders: ReminderService
    stats: StatsService
    bank: QuestionBank
    clock: Clock
    settings: GameSettings


@dataclass
class Runtime:
    db: Database
    store: SqlStore
    scheduler: AsyncIOScheduler
    jobs: ApsJobScheduler
    services: Services
    platforms: dict[str, Platform] = field(default_factory=dict)
    telemetry: PrometheusTelemetry = field(
        default_factory=lambda: PrometheusTelemetry(CollectorRegistry())
    )
    connections: dict[str, Callable[[], bool]] = field(default_factory=dict)
    """Is each platform's connection up? Registered by its launcher, read by /healthz."""
    shards: str = ""
    """The Discord gateway shards this process runs, as ``0-3 of 8`` (set by the
    Discord launcher; empty when it runs none). Shown by ``studybot db status``."""
    coordinator: Coordinator | None = None
    """Set when the store is shared (PostgreSQL): this process then arms only
    the timers it owns, and renews its lease every ``lease / 3``."""
    renew: bool = True
    """Renew the lease on a timer; tests that drive :meth:`Coordinator.tick`
    themselves switch it off."""
    started: bool = False
    _renewing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Paused while every job is rebuilt: a running APScheduler re-plans its
        # timer after each added job, which made 20,000 jobs cost seconds. Due
        # jobs run as soon as it resumes.
        self.scheduler.start(paused=True)
        self.started = True
        try:
            if self.coordinator is None:
                await self._recover()
            else:
                # The first renewal is the recovery: it adopts what this process owns.
                self.coordinator.shards = self.shards
                await self.coordinator.tick()
                if self.renew:
                    self._renewing = asyncio.create_task(self._renew(self.coordinator))
        finally:
            self.scheduler.resume()

    async def _renew(self, coordinator: Coordinator) -> None:
        # At a fixed rate, not a fixed pause after each renewal: a slow
        # renewal must not stretch the period the lease arithmetic relies on.
        loop = asyncio.get_running_loop()
        interval = coordinator.lease.total_seconds() / 3
        due = loop.time()
        while True:
            due += interval
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await coordinator.tick()
            except Exception:  # the next renewal tries again; the lease allows two misses
                log.exception("renewing this process's lease failed")
            due = max(due, loop.time() - interval)  # after a long stall, do not rush to catch up

    async def _recover(self) -> None:
        await recover(
            store=self.store,
            rounds=self.services.rounds,
            scheduler=self.jobs,
            clock=self.services.clock,
            settings=self.services.settings,
            reminders=self.services.reminders,
        )

    async def close(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)
            self._renewing = None
        if self.started:
            self.scheduler.shutdown(wait=False)
            self.started = False
        await self.services.rounds.close()
        if self.coordinator is not None and self.coordinator.live:
            await self.coordinator.retire()
        await self.db.close()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _logged(name: str, fn: Callable[[T], Awaitable[Any]]) -> Callable[[T], Awaitable[None]]:
    """Wrap a job so a failure is logged with its traceback. A recurring job
    stays scheduled; a one-shot job (a reveal, a post retry) is gone after it
    ran, so its callback must arrange its own retry, as ``reveal_due`` and
    ``post_scheduled`` do."""

    async def run(target: T) -> None:
        try:
            await fn(target)
        except Exception:
            log.exception("%s job for %s failed", name, target)

    run.__name__ = f"{name}_job"
    # APScheduler checks a job's callable against its arguments with
    # inspect.signature on every add_job; a precomputed signature makes that
    # check a lookup (a third of start-up with 10,000 schedules).
    run.__signature__ = inspect.signature(run)  # type: ignore[attr-defined]
    return run


async def build_runtime(
    settings: Settings,
    *,
    bank: QuestionBank | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> Runtime:
    """Open everything; the caller registers platforms, then calls ``start()``."""
    bank = bank if bank is not None else load_question_bank(settings)
    clock = clock or SystemClock()
    game = settings.game_settings()
    db = await open_database(settings)
    log.info("database: %s", db.where)
    store = SqlStore(db)
    scheduler = AsyncIOScheduler(timezone=UTC)
    platforms: dict[str, Platform] = {}
    # The jobs need the services and the services need the jobs: the job
    # callbacks look the services up here at fire time.
    holder: dict[str, Services] = {}

    async def post(schedule_id: int) -> None:
        await holder["s"].rounds.post_scheduled(schedule_id)

    async def reveal(round_id: int) -> None:
        await holder["s"].rounds.reveal_due(round_id)

    async def recap(timezone: str) -> None:
        await holder["s"].recaps.post_zone_recaps(timezone)

    async def remind(user_id: int) -> None:
        await holder["s"].reminders.send_due(user_id)

    telemetry = PrometheusTelemetry(CollectorRegistry())
    telemetry.watch_scheduler(scheduler)
    jobs = ApsJobScheduler(
        scheduler,
        on_post=_logged("post", post),
        on_reveal=_logged("reveal", reveal),
        on_recap=_logged("recap", recap),
        post_grace=game.late_post_grace,
        on_remind=_logged("remind", remind),
    )
    # A shared store means other processes may be running: arm only owned work.
    owned = OwnedJobs(jobs, lambda key, platform: False) if db.shared else None
    timers: JobScheduler = owned or jobs
    reviews = ReviewService(
        store=store,
        bank=bank,
        scheduler=FsrsScheduler(desired_retention=settings.review.desired_retention),
        clock=clock,
        settings=settings.review.to_domain(),
        rng=rng or random.Random(),
    )
    rounds = RoundService(
        store=store,
        bank=bank,
        platforms=platforms,
        scheduler=timers,
        clock=clock,
        settings=game,
        rng=rng,
        telemetry=telemetry,
        reviews=reviews,
    )
    boards = LeaderboardService(store=store, clock=clock, settings=game)
    services = Services(
        rounds=rounds,
        schedules=ScheduleService(
            store=store, bank=bank, scheduler=timers, clock=clock, settings=game
        ),
        boards=boards,
        groups=GroupService(store=store, clock=clock),
        reports=ReportService(store=store, bank=bank, clock=clock),
        recaps=RecapService(
            store=store,
            boards=boards,
            platforms=platforms,
            clock=clock,
            max_concurrent=game.max_concurrent_posts,
        ),
        drills=DrillService(
            store=store, bank=bank, clock=clock, rng=rng or random.Random(), reviews=reviews
        ),
        privacy=PrivacyService(store=store, clock=clock),
        reviews=reviews,
        reminders=ReminderService(
            store=store, platforms=platforms, scheduler=timers, clock=clock, settings=game
        ),
        stats=StatsService(boards=boards, store=store, reviews=reviews, clock=clock),
        bank=bank,
        clock=clock,
        settings=game,
    )
    holder["s"] = services
    coordinator: Coordinator | None = None
    if owned is not None:
        coordinator = leases = Coordinator(
            name=f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}",
            store=store,
            jobs=owned,
            rounds=rounds,
            reminders=services.reminders,
            clock=clock,
            settings=game,
            lease=timedelta(seconds=settings.scale.lease_seconds),
            host=socket.gethostname(),
            pid=os.getpid(),
            running=platforms,
            process_alive=_process_alive,
        )
        owned.owns = leases.owns
        services.recaps.owns = lambda schedule: leases.owns_channel(schedule.channel)
    if settings.database.backup_dir is not None:
        if settings.postgres_url is None:
            schedule_backups(scheduler, settings)
        else:
            log.warning(
                "database.backup_dir is set but the database is PostgreSQL: back it up with "
                "pg_dump or the server's own backups; studybot copies only SQLite files"
            )
    return Runtime(
        db, store, scheduler, jobs, services, platforms, telemetry, coordinator=coordinator
    )


def _process_alive(pid: int) -> bool:
    """Does a process with this id exist on this machine (signal 0 checks)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def schedule_backups(scheduler: AsyncIOScheduler, settings: Settings) -> None:
    """A daily consistent copy of the database into ``database.backup_dir``,
    keeping the newest ``backup_keep``. Runs in a thread: the copy reads the
    whole file, and the bot keeps answering meanwhile."""
    folder = settings.database.backup_dir
    assert folder is not None
    database, keep = settings.database_path, settings.database.backup_keep

    async def run() -> None:
        try:
            made = await asyncio.to_thread(backup, database, folder)
            removed = await asyncio.to_thread(prune, folder, keep)
        except Exception:
            log.exception("the daily backup of %s failed", database)
            return
        log.info("backed up the database to %s; removed %d old backup(s)", made.path, len(removed))

    hour, minute = (int(part) for part in settings.database.backup_at.split(":"))
    scheduler.add_job(
        run,
        CronTrigger(hour=hour, minute=minute, timezone=UTC),
        id="backup",
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
    )
