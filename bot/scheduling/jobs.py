"""Jobs in an in-memory APScheduler, rebuilt from the database at every start.

No persistent job store: the database already says what should happen, and a
pickled job store would be a second, drifting copy of it. Job callbacks are
plain coroutines taking ids, so a job never holds stale objects.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from bot.core.models import Schedule
from bot.core.reminders import Reminder
from bot.core.timeutil import ALL_DAYS, next_occurrence, zone

log = logging.getLogger(__name__)

JobCallback = Callable[[int], Awaitable[Any]]
ZoneCallback = Callable[[str], Awaitable[Any]]
RECAP_TIME = time(0, 0)
RECAP_DAYS = frozenset({0})  # Monday 00:00 local: the week that just ended


class LocalTimeTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at a wall-clock time on given weekdays in an IANA zone.

    Delegates to :func:`bot.core.timeutil.next_occurrence`, whose DST rules are
    ours and tested: a time skipped by spring-forward fires at the end of the
    gap, a time repeated by fall-back fires once.
    """

    __slots__ = ("at", "tz", "weekdays")

    def __init__(self, at: time, tz_name: str, weekdays: frozenset[int]) -> None:
        self.at = at
        self.tz = zone(tz_name)
        self.weekdays = weekdays

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return next_occurrence(self.at, self.tz, self.weekdays, now, inclusive=True)
        return next_occurrence(self.at, self.tz, self.weekdays, previous_fire_time, inclusive=False)

    def __str__(self) -> str:
        return f"local[{self.at:%H:%M} {self.tz.key} days={sorted(self.weekdays)}]"


class ApsJobScheduler:
    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        *,
        on_post: JobCallback,
        on_reveal: JobCallback,
        on_recap: ZoneCallback,
        post_grace: timedelta,
        on_remind: JobCallback | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.on_post = on_post
        self.on_reveal = on_reveal
        self.on_recap = on_recap
        self.post_grace = post_grace
        self.on_remind = on_remind

    def set_daily(self, schedule: Schedule) -> None:
        assert schedule.id is not None
        self.remove_daily(schedule.id)
        if schedule.paused:
            return
        self.scheduler.add_job(
            self.on_post,
            LocalTimeTrigger(schedule.post_time, schedule.timezone, schedule.weekdays),
            args=(schedule.id,),
            id=f"post:{schedule.id}",
            misfire_grace_time=int(self.post_grace.total_seconds()),
            coalesce=True,
            replace_existing=True,
        )
        if schedule.recap and self.scheduler.get_job(f"recap:{schedule.timezone}") is None:
            # One recap job per time zone, not per schedule: it posts every
            # recap due at that zone's Monday midnight, and halves the jobs to
            # rebuild at start-up. A zone job outlives its schedules harmlessly:
            # the recap service skips paused, removed and recap-off schedules.
            self.scheduler.add_job(
                self.on_recap,
                LocalTimeTrigger(RECAP_TIME, schedule.timezone, RECAP_DAYS),
                args=(schedule.timezone,),
                id=f"recap:{schedule.timezone}",
                misfire_grace_time=6 * 3600,
                coalesce=True,
            )

    def remove_daily(self, schedule_id: int) -> None:
        self._remove(f"post:{schedule_id}")
        self._remove(f"retry:{schedule_id}")

    def retry_post(self, schedule_id: int, at: datetime) -> None:
        self.scheduler.add_job(
            self.on_post,
            DateTrigger(run_date=at),
            args=(schedule_id,),
            id=f"retry:{schedule_id}",
            misfire_grace_time=None,  # post_scheduled itself refuses when past the grace window
            replace_existing=True,
        )

    def set_reveal(self, round_id: int, at: datetime) -> None:
        self.scheduler.add_job(
            self.on_reveal,
            DateTrigger(run_date=at),
            args=(round_id,),
            id=f"reveal:{round_id}",
            misfire_grace_time=None,  # a reveal is never skipped, however late
            replace_existing=True,
        )

    def remove_reveal(self, round_id: int) -> None:
        self._remove(f"reveal:{round_id}")

    def set_reminder(self, reminder: Reminder) -> None:
        """One ``remind:<user>`` job a day at the reminder's local time. The
        callback decides whether a message goes out; the trigger only says
        when to ask, with the same daylight-saving rules as the daily post."""
        self.remove_reminder(reminder.user_id)
        if not reminder.enabled or self.on_remind is None:
            return
        self.scheduler.add_job(
            self.on_remind,
            LocalTimeTrigger(reminder.at, reminder.timezone, ALL_DAYS),
            args=(reminder.user_id,),
            id=f"remind:{reminder.user_id}",
            misfire_grace_time=int(self.post_grace.total_seconds()),
            coalesce=True,
            replace_existing=True,
        )

    def remove_reminder(self, user_id: int) -> None:
        self._remove(f"remind:{user_id}")
        self._remove(f"remind-retry:{user_id}")

    def retry_reminder(self, user_id: int, at: datetime) -> None:
        if self.on_remind is None:
            return
        self.scheduler.add_job(
            self.on_remind,
            DateTrigger(run_date=at),
            args=(user_id,),
            id=f"remind-retry:{user_id}",
            misfire_grace_time=None,  # send_due itself refuses past the grace window
            replace_existing=True,
        )

    def _remove(self, job_id: str) -> None:
        # Looking first is cheaper than the exception when there is no such
        # job, which is the usual case while jobs are rebuilt at start-up.
        if self.scheduler.get_job(job_id) is None:
            return
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id)
