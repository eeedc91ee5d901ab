"""``/stats``: one person's numbers, and which of them others may see.

The rule, the same on every platform:

* **Your own stats** show everything: streak and daily accuracy, points and
  rank per period, drill results, and your spaced-repetition progress (cards
  due, mastery and accuracy per topic, reviews per day), with the chart.
* **Someone else's stats** show only what the bot already shows the channel:
  the streak and daily-question accuracy (reveals and recaps show them) and
  points and rank per period (the leaderboards do). Drills and reviews are
  private practice, started privately and answered privately, so their
  results, the per-topic breakdown and the chart are left out; the reply
  says so, rather than showing zeros that look like no practice at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.leaderboards import LeaderboardService
from bot.core.models import ChannelRef, DrillTotals, Leaderboard, Period, Scope, StreakView, UserRef
from bot.core.ports import Clock, Store
from bot.core.progress import ReviewProgress
from bot.core.reviews import ReviewService

PRIVATE_NOTE = "Drills and reviews are private practice, so only their owner sees them."
NO_CHART_YET = "Your progress chart appears after your first drill or review."


@dataclass(frozen=True, slots=True)
class UserStats:
    subject: UserRef
    own: bool
    """The caller asked about themselves, so the private parts are filled in."""
    streak: StreakView
    boards: tuple[Leaderboard, ...]
    """The subject's row for this week, this month and all time (server-wide)."""
    drills: DrillTotals | None
    """Only in your own stats."""
    progress: ReviewProgress | None
    """Only in your own stats; the chart is drawn from it."""

    @property
    def has_chart(self) -> bool:
        """Worth drawing: your own stats, once there is a card or a review to
        show. A brand-new user gets a line saying so instead of an empty
        picture (and, on Slack, an empty file in their messages)."""
        p = self.progress
        return p is not None and (p.cards > 0 or any(n for _, n in p.reviews_per_day))

    @property
    def chart_title(self) -> str:
        return f"Progress — {self.streak.user_name or self.subject.label}"


def same_person(a: UserRef, b: UserRef) -> bool:
    return (a.platform, a.external_id) == (b.platform, b.external_id)


class StatsService:
    def __init__(
        self,
        *,
        boards: LeaderboardService,
        store: Store,
        reviews: ReviewService,
        clock: Clock,
    ) -> None:
        self.boards = boards
        self.store = store
        self.reviews = reviews
        self.clock = clock

    async def stats(
        self, channel: ChannelRef, caller: UserRef, subject: UserRef | None = None
    ) -> UserStats:
        """``subject``'s stats as ``caller`` may see them (default: the caller's own)."""
        who = subject or caller
        own = same_person(who, caller)
        streak = await self.boards.streak(channel, who)
        boards = tuple(
            [await self.boards.leaderboard(channel, who, period, Scope.SPACE) for period in Period]
        )
        if not own:
            return UserStats(who, False, streak, boards, None, None)
        drills = await self.store.drill_totals(who)
        progress = await self.reviews.progress(who, self.clock.now())
        return UserStats(who, True, streak, boards, drills, progress)


def mastery_lines(progress: ReviewProgress) -> list[str]:
    """One plain line per topic tried or mastered, weakest mastery first:
    ``topic — 40% mastered (12/30), 75% right``. Topics never touched are
    counted, not listed, so twenty topics do not flood a chat message."""
    touched = [t for t in progress.topics if t.answered or t.mastered]
    touched.sort(key=lambda t: (t.mastery, t.topic))
    lines = []
    for t in touched:
        right = f"{t.accuracy:.0%} right" if t.accuracy is not None else "not answered yet"
        lines.append(f"{t.topic} — {t.mastery:.0%} mastered ({t.mastered}/{t.questions}), {right}")
    untouched = len(progress.topics) - len(touched)
    if untouched:
        lines.append(f"{untouched} topic{'s' if untouched != 1 else ''} not started yet")
    return lines
