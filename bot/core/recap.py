"""The weekly recap: the finished week's board and streak highlights.

Posted once per channel per week (claimed in the database first) and only for
weeks in which the channel had at least one round, so quiet channels stay quiet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from bot.core.leaderboards import LeaderboardService
from bot.core.models import Period, Recap, Schedule, Scope, UserRef
from bot.core.periods import week_key, week_start
from bot.core.ports import Clock, Platform, PostFailed, Store
from bot.core.timeutil import local_date

log = logging.getLogger(__name__)


class RecapService:
    def __init__(
        self,
        *,
        store: Store,
        boards: LeaderboardService,
        platforms: Mapping[str, Platform],
        clock: Clock,
        max_concurrent: int = 20,
    ) -> None:
        self.store = store
        self.boards = boards
        self.platforms = platforms
        self.clock = clock
        self.max_concurrent = max_concurrent
        self.owns: Callable[[Schedule], bool] = lambda schedule: True
        """Which schedules' recaps this process posts: all of them, unless
        several processes share the store (then each posts its own channels';
        the recap claim would stop a second post anyway)."""

    async def post_zone_recaps(self, timezone: str) -> int:
        """Monday 00:00 in ``timezone``: the recap of every schedule there, a
        bounded number at a time; returns how many were posted."""
        due = [
            s.id
            for s in await self.store.list_schedules()
            if s.timezone == timezone
            and s.recap
            and not s.paused
            and s.id is not None
            and self.owns(s)
        ]
        slots = asyncio.Semaphore(self.max_concurrent)

        async def one(schedule_id: int) -> bool:
            async with slots:
                try:
                    return await self.post_recap(schedule_id) is not None
                except Exception:  # one channel's failure must not stop the others
                    log.exception("weekly recap for schedule %s failed", schedule_id)
                    return False

        return sum(await asyncio.gather(*(one(schedule_id) for schedule_id in due)))

    async def post_recap(self, schedule_id: int) -> Recap | None:
        schedule = await self.store.get_schedule_by_id(schedule_id)
        if schedule is None or not schedule.recap or schedule.paused:
            return None
        now = self.clock.now()
        last_day = local_date(now, schedule.timezone) - timedelta(days=1)
        key = week_key(last_day)
        rounds = await self.store.round_count(schedule.channel, week_start(last_day))
        if rounds == 0 or not await self.store.claim_recap(schedule.channel, key, now):
            return None
        nobody = UserRef(schedule.channel.platform, "")
        board = await self.boards.leaderboard(
            schedule.channel, nobody, Period.WEEK, Scope.CHANNEL, key=key
        )
        streaks = await self.boards.top_streaks(schedule.channel)
        recap = Recap(
            channel=schedule.channel,
            week_key=key,
            leaderboard=board,
            top_streaks=tuple((v.user_name, v.current) for v in streaks),
            rounds=rounds,
        )
        platform = self.platforms.get(schedule.channel.platform)
        if platform is not None:
            try:
                await platform.post_recap(recap)
            except PostFailed as exc:
                log.warning("weekly recap for schedule %s failed: %s", schedule_id, exc.reason)
        return recap
