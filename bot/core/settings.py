"""The domain's tunables, as a plain value the composition root fills from config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.scoring import ScoringRules


@dataclass(frozen=True, slots=True)
class GameSettings:
    default_timezone: str = "UTC"
    """Used for rounds in a channel that has no schedule (e.g. ``/daily now``)."""
    default_reveal_after: timedelta = timedelta(hours=1)
    late_post_grace: timedelta = timedelta(hours=1)
    """A daily post missed while the bot was down is still made this late, no later."""
    retry_post_after: timedelta = timedelta(minutes=5)
    retry_reveal_after: timedelta = timedelta(seconds=30)
    """A reveal that failed (the database busy, a bug) is tried again this much later."""
    max_concurrent_posts: int = 20
    scoring: ScoringRules = field(default_factory=ScoringRules)
    leaderboard_size: int = 10
