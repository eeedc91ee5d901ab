"""Start-up: rebuild every timer from the database.

Order matters: overdue reveals first (so scores are current), then schedule
jobs, then daily posts that were missed while the bot was down but are still
within the grace window, then the daily reminders (their jobs, and a reminder
missed within the same grace).
"""

from __future__ import annotations

import logging

from bot.core.ports import Clock, JobScheduler, Store
from bot.core.reminders import ReminderService
from bot.core.rounds import RoundService
from bot.core.schedules import catch_up
from bot.core.settings import GameSettings

log = logging.getLogger(__name__)


async def recover(
    *,
    store: Store,
    rounds: RoundService,
    scheduler: JobScheduler,
    clock: Clock,
    settings: GameSettings,
    reminders: ReminderService | None = None,
) -> None:
    restored = await store.unrevealed_rounds()
    for round_ in restored:
        await rounds.restore(round_)
    schedules = [s for s in await store.list_schedules() if not s.paused]
    late = 0
    for schedule in schedules:
        scheduler.set_daily(schedule)
        if await catch_up(schedule, store, rounds, clock, settings):
            late += 1
    log.info(
        "recovered %d unrevealed rounds, %d schedules, %d late posts",
        len(restored),
        len(schedules),
        late,
    )
    if reminders is not None:
        count, sent = await reminders.restore()
        log.info("recovered %d daily reminders, %d sent late", count, sent)
