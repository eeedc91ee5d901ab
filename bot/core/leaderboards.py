"""Leaderboards and streaks as people see them.

Reads the materialised totals only. "This week" and "this month" are those of
the channel's schedule time zone (or the space's first schedule, or the
configured default), so boundaries fall on the team's own midnight.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.community import group_lookup_name
from bot.core.errors import NotFound, UserError
from bot.core.models import (
    ChannelRef,
    Group,
    GroupRow,
    Leaderboard,
    Period,
    Scope,
    SpaceKey,
    StreakState,
    StreakView,
    UserRef,
)
from bot.core.periods import describe, period_key
from bot.core.ports import Clock, Store
from bot.core.settings import GameSettings
from bot.core.streaks import view
from bot.core.timeutil import local_date


def parse_period(text: str | None) -> Period:
    try:
        return Period((text or "week").strip().lower())
    except ValueError:
        raise UserError(f"'{text}' is not a period; use week, month or all") from None


def parse_scope(text: str | None) -> Scope:
    aliases = {"server": Scope.SPACE, "workspace": Scope.SPACE, "space": Scope.SPACE}
    cleaned = (text or "space").strip().lower()
    if cleaned in aliases:
        return aliases[cleaned]
    try:
        return Scope(cleaned)
    except ValueError:
        raise UserError(f"'{text}' is not a scope; use server, channel or group") from None


class LeaderboardService:
    def __init__(self, *, store: Store, clock: Clock, settings: GameSettings) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings

    async def today(self, channel: ChannelRef) -> date:
        schedule = await self.store.get_schedule(channel)
        if schedule is None:
            schedules = await self.store.list_schedules(channel.space_key)
            schedule = schedules[0] if schedules else None
        tz = schedule.timezone if schedule else self.settings.default_timezone
        return local_date(self.clock.now(), tz)

    async def leaderboard(
        self,
        channel: ChannelRef,
        caller: UserRef,
        period: Period = Period.WEEK,
        scope: Scope = Scope.SPACE,
        group_name: str | None = None,
        *,
        key: str | None = None,
    ) -> Leaderboard:
        """Top N of a scope plus the caller's own row. ``key`` pins a past period
        (the weekly recap uses it)."""
        day = await self.today(channel)
        key = key or period_key(period, day)
        space = channel.space_key
        channel_id = channel.channel if scope is Scope.CHANNEL else None
        group = await self._group_for(space, caller, group_name) if scope is Scope.GROUP else None
        group_id = group.id if group else None
        rows = await self.store.top_scores(
            space, channel_id, key, self.settings.leaderboard_size, group_id
        )
        mine = await self.store.score_row(space, channel_id, key, caller, group_id)
        where = {Scope.SPACE: "this server", Scope.CHANNEL: "this channel"}.get(scope, "")
        if group is not None:
            where = f"group {group.name}"
        title = f"Leaderboard — {where}, {describe(period, day)}"
        return Leaderboard(period, key, scope, tuple(rows), mine, title)

    async def _group_for(self, space: SpaceKey, caller: UserRef, name: str | None) -> Group:
        if name:
            group = await self.store.find_group(space, group_lookup_name(name) or name)
            if group is None:
                raise NotFound(f"there is no group called '{name}' here; see /group list")
            return group
        mine = await self.store.groups_of(space, caller)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise UserError("you are not in a study group; name one, or join one with /group join")
        raise UserError(f"you are in several groups ({', '.join(g.name for g in mine)}); name one")

    async def group_ranking(
        self, channel: ChannelRef, period: Period = Period.WEEK
    ) -> list[GroupRow]:
        """Groups ranked by points per active member (fair to small groups), then
        by total. A member is active in a period if they answered in it."""
        key = period_key(period, await self.today(channel))
        totals = await self.store.group_totals(channel.space_key, key)
        ordered = sorted(
            totals,
            key=lambda t: (-(t[1] / t[2] if t[2] else 0.0), -t[1], t[0].name.casefold()),
        )
        return [
            GroupRow(rank, g, total, active) for rank, (g, total, active) in enumerate(ordered, 1)
        ]

    async def streak(self, channel: ChannelRef, user: UserRef) -> StreakView:
        state = await self.store.streak_state(channel.space_key, user) or StreakState()
        return await self._view(channel, user.label, state)

    async def top_streaks(self, channel: ChannelRef, limit: int = 5) -> list[StreakView]:
        views = [
            await self._view(channel, name, state)
            for name, state in await self.store.streak_states(channel.space_key, limit * 3)
        ]
        live = [v for v in views if v.current > 0]
        live.sort(key=lambda v: (-v.current, -v.best, v.user_name))
        return live[:limit]

    async def _view(self, channel: ChannelRef, name: str, state: StreakState) -> StreakView:
        today = await self.today(channel)
        days = (
            await self.store.round_days(channel.space_key, state.last_day) if state.last_day else []
        )
        # Only finished days are listed, so today counts as missed once its rounds are revealed.
        return view(name, state, days, today + timedelta(days=1))
