"""Plain domain records shared by the services, the store and the adapters.

Everything here is platform-neutral: a *space* is a Discord server, a Slack
workspace or the terminal session; a *channel* lives in a space; a *user* is
known by the platform's own id. The store maps these to its own integer keys.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.core.questions import Difficulty, Question

SpaceKey = tuple[str, str]
"""(platform, external space id): a Discord server, a Slack workspace, a terminal."""


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """Where a round is posted: (platform, space, channel) by external ids."""

    platform: str
    space: str
    channel: str

    @property
    def space_key(self) -> SpaceKey:
        return (self.platform, self.space)


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is acting. ``name`` is only for display and may change over time."""

    platform: str
    external_id: str
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.external_id


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and how a channel gets its daily question."""

    channel: ChannelRef
    post_time: time
    timezone: str
    weekdays: frozenset[int]
    """ISO weekday numbers minus one: 0 is Monday, 6 is Sunday."""
    reveal_after: timedelta
    topics: tuple[str, ...] = ()
    difficulty: Difficulty | None = None
    paused: bool = False
    recap: bool = True
    failing: str | None = None
    """Why the last post failed (missing permission, channel gone), if it did."""
    id: int | None = None


class RoundStatus(enum.StrEnum):
    POSTING = "posting"
    """The date is claimed but the platform has not confirmed the post yet."""
    OPEN = "open"
    REVEALED = "revealed"


class RoundKind(enum.StrEnum):
    SCHEDULED = "scheduled"
    """At most one per channel per local date."""
    EXTRA = "extra"
    """Started by hand (``/daily now``); does not use up the day's scheduled post."""


@dataclass(frozen=True, slots=True)
class Round:
    """One posted question and its answering window."""

    id: int
    channel: ChannelRef
    question: Question
    kind: RoundKind
    round_date: date
    timezone: str
    posted_at: datetime
    reveals_at: datetime
    status: RoundStatus
    schedule_id: int | None = None
    message_id: str | None = None
    revealed_at: datetime | None = None
    reveal_begun: bool = False
    """Closed to answers and partly scored: a reveal started and has not finished."""


class AnswerOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"
    UNKNOWN_ROUND = "unknown_round"
    INVALID_CHOICE = "invalid_choice"


@dataclass(frozen=True, slots=True)
class AnswerSubmission:
    round_id: int
    user: UserRef
    choice: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What the user is told after pressing a button."""

    outcome: AnswerOutcome
    choice: str | None = None
    """The locked-in choice (the earlier one for ``ALREADY_ANSWERED``)."""
    reveals_at: datetime | None = None
    allowed: str = ""
    """Valid letters, filled in for ``INVALID_CHOICE``."""


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """An answer as read back from the store for scoring."""

    user_id: int
    user_name: str
    choice: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    user_id: int
    user_name: str
    choice: str
    answered_at: datetime
    correct: bool
    points: int


@dataclass(slots=True)
class StreakState:
    """Per user per space. ``last_day`` is the last round date they answered."""

    current: int = 0
    best: int = 0
    last_day: date | None = None
    freezes: int = 0
    answered: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class StreakView:
    """A streak as shown to people: ``current`` already accounts for misses."""

    user_name: str
    current: int
    best: int
    freezes: int
    answered: int
    correct: int
    frozen_days: int = 0
    """Missed round days currently covered by freezes (not yet spent)."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class RevealSummary:
    round: Round
    counts: dict[str, int]
    """Answers per option letter, every letter present."""
    total: int
    correct: int
    first_correct: tuple[str, ...]
    streaks: tuple[tuple[str, int], ...]
    """(name, current streak) of answerers on a streak of 2 or more, longest first."""

    @property
    def share_correct(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class RevealTally:
    """A revealed round's results, counted by the store once every answer is scored.

    Read back after the last step instead of summed step by step, so a reveal
    that a crash interrupted and a restart finished reports the same figures as
    one that ran straight through.
    """

    counts: dict[str, int]
    """Answers per letter chosen; letters nobody chose are absent."""
    correct: int
    first_correct: tuple[str, ...]
    """Names of the earliest correct answerers, earliest first."""
    streaks: tuple[tuple[str, int], ...]
    """(name, current streak) of answerers on a streak of 2 or more, longest first."""


class Period(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class Scope(enum.StrEnum):
    SPACE = "space"
    CHANNEL = "channel"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class ScoreRow:
    rank: int
    user_id: int
    name: str
    points: int
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    period: Period
    period_key: str
    scope: Scope
    rows: tuple[ScoreRow, ...]
    caller: ScoreRow | None = None
    """The caller's own row, filled in even when outside the top N."""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    members: int = 0


@dataclass(frozen=True, slots=True)
class GroupRow:
    rank: int
    group: Group
    total: int
    active_members: int

    @property
    def per_active_member(self) -> float:
        return self.total / self.active_members if self.active_members else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    question_id: str
    reporter: str
    reason: str
    created_at: datetime
    space: str = ""


@dataclass(frozen=True, slots=True)
class Recap:
    channel: ChannelRef
    week_key: str
    leaderboard: Leaderboard
    top_streaks: tuple[tuple[str, int], ...] = field(default=())
    rounds: int = 0


@dataclass(frozen=True, slots=True)
class DrillSession:
    id: int
    user: UserRef
    questions: tuple[Question, ...]
    position: int
    """Index of the next question to answer; equal to ``total`` when finished."""
    correct: int
    started_at: datetime
    step_started_at: datetime | None = None
    """When the current question was shown (the start, or the last answer):
    a quick right answer feeds spaced repetition as Easy."""

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def finished(self) -> bool:
        return self.position >= self.total

    @property
    def current(self) -> Question | None:
        return None if self.finished else self.questions[self.position]


@dataclass(frozen=True, slots=True)
class DrillFeedback:
    """The result of one answer and the session as it stands after it."""

    session: DrillSession
    question: Question
    chosen: str
    correct: bool


@dataclass(frozen=True, slots=True)
class DrillTotals:
    answered: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None
