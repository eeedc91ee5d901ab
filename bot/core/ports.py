"""The interfaces the domain needs from the outside world.

The domain calls these; adapters, the SQLite store and the APScheduler wiring
implement them. Nothing here imports a chat library, a database driver or a
scheduler, so the rules can be tested with plain fakes and moved to Slack or
PostgreSQL without change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from bot.core.models import (
    AnswerResult,
    AnswerSubmission,
    ChannelRef,
    DrillSession,
    DrillTotals,
    Group,
    Recap,
    RecordedAnswer,
    Report,
    RevealSummary,
    RevealTally,
    Round,
    RoundKind,
    Schedule,
    ScoredAnswer,
    ScoreRow,
    SpaceKey,
    StreakState,
    UserRef,
)
from bot.core.questions import Difficulty, Kind, Question


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class PostFailed(Exception):
    """A platform could not deliver a message.

    ``permanent`` means retrying will not help until a person acts (the bot
    lost a permission, the channel was deleted, the bot left the server).
    """

    def __init__(self, reason: str, *, permanent: bool, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code or ("permanent" if permanent else "transient")
        """A short, fixed label for metrics (``not_in_channel``, ``forbidden``)."""


class Platform(Protocol):
    """What the domain asks of a chat platform. Implementations render."""

    async def post_question(self, round_: Round) -> str | None:
        """Post the question with its answer controls; return the message id."""
        ...

    async def close_answering(self, round_: Round) -> None:
        """Disable the answer controls on the posted question."""
        ...

    async def post_reveal(self, summary: RevealSummary) -> None: ...

    async def post_recap(self, recap: Recap) -> None: ...

    async def send_private(self, user: UserRef, text: str) -> None: ...


class QuestionSource(Protocol):
    """The loaded question bank."""

    def get(self, question_id: str) -> Question | None: ...
    def topics(self) -> list[str]: ...
    def has_topic(self, slug: str) -> bool: ...
    def filter(
        self,
        *,
        topics: Collection[str] | None = None,
        difficulty: Difficulty | None = None,
        kind: Kind | None = None,
    ) -> list[Question]: ...


class JobScheduler(Protocol):
    """Timers. The database stays the source of truth; jobs are rebuilt from it."""

    def set_daily(self, schedule: Schedule) -> None:
        """Add or replace the post (and weekly recap) jobs of a schedule."""
        ...

    def remove_daily(self, schedule_id: int) -> None: ...

    def retry_post(self, schedule_id: int, at: datetime) -> None:
        """Try a schedule's post once more at ``at`` (after a transient failure)."""
        ...

    def set_reveal(self, round_id: int, at: datetime) -> None: ...

    def remove_reveal(self, round_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Settlement:
    """What one step of a reveal writes: its answers scored and those answerers'
    new streaks."""

    scored: Sequence[ScoredAnswer]
    streaks: dict[int, StreakState]


SettleFn = Callable[
    [Round, Sequence[RecordedAnswer], dict[int, StreakState], Sequence[date]], Settlement
]
"""Pure domain function the store calls inside each step of a reveal with the
round, that step's answers, their answerers' streak states and the space's
recent round days. Every answer and streak depends only on its own user, so
scoring a round in steps gives the same result as scoring it at once."""


class Store(Protocol):
    """Persistence. Every method is atomic on its own."""

    # schedules
    async def save_schedule(self, schedule: Schedule) -> Schedule: ...
    async def get_schedule(self, channel: ChannelRef) -> Schedule | None: ...
    async def get_schedule_by_id(self, schedule_id: int) -> Schedule | None: ...
    async def list_schedules(self, space: SpaceKey | None = None) -> list[Schedule]: ...
    async def delete_schedule(self, schedule_id: int) -> None: ...
    async def set_schedule_failing(self, schedule_id: int, reason: str | None) -> None: ...

    # rounds
    async def claim_round(
        self,
        channel: ChannelRef,
        *,
        kind: RoundKind,
        round_date: date,
        timezone: str,
        question: Question,
        posted_at: datetime,
        reveals_at: datetime,
        schedule_id: int | None,
    ) -> Round | None:
        """Record a round before posting it. ``None`` when a scheduled round for
        that channel and date exists already: that is how a date is never
        posted twice, even after a crash mid-post."""
        ...

    async def mark_posted(self, round_id: int, message_id: str | None) -> None: ...
    async def discard_round(self, round_id: int) -> None:
        """Forget a claimed round whose post failed, so the date can be retried."""
        ...

    async def get_round(self, round_id: int) -> Round | None: ...
    async def unrevealed_rounds(self) -> list[Round]: ...
    async def latest_open_round(self, channel: ChannelRef) -> Round | None: ...
    async def asked_counts(self, channel: ChannelRef) -> dict[str, int]: ...
    async def has_scheduled_round(self, channel: ChannelRef, round_date: date) -> bool: ...

    # answers
    async def record_answers(self, batch: Sequence[AnswerSubmission]) -> list[AnswerResult]:
        """Write a batch in one transaction. The first answer per user per round
        wins; answers to rounds that are no longer open are refused."""
        ...

    async def settle_round(self, round_id: int, now: datetime, settle: SettleFn) -> Round | None:
        """Close a round to answers, then score it in short steps, each its own
        transaction that applies ``settle`` to the next answers and moves the
        round's progress marker. Returns the revealed round to the one caller
        whose step finished it; ``None`` to everyone else, so a reveal happens
        exactly once. A reveal cut short (a crash, a busy database) is resumed
        by the next call where it stopped."""
        ...

    async def reveal_tally(
        self, round_id: int, *, first_correct: int, streaks: int
    ) -> RevealTally: ...

    async def round_answer_count(self, round_id: int) -> int: ...

    # scores and streaks
    async def top_scores(
        self,
        space: SpaceKey,
        channel: str | None,
        period_key: str,
        limit: int,
        group_id: int | None = None,
    ) -> list[ScoreRow]: ...
    async def score_row(
        self,
        space: SpaceKey,
        channel: str | None,
        period_key: str,
        user: UserRef,
        group_id: int | None = None,
    ) -> ScoreRow | None: ...
    async def group_totals(self, space: SpaceKey, period_key: str) -> list[tuple[Group, int, int]]:
        """(group, total points, members who scored) for every group of the space."""
        ...

    async def streak_state(self, space: SpaceKey, user: UserRef) -> StreakState | None: ...
    async def streak_states(self, space: SpaceKey, limit: int) -> list[tuple[str, StreakState]]:
        """The space's members with the longest current streaks (names, states)."""
        ...

    async def round_days(self, space: SpaceKey, since: date) -> list[date]:
        """Finished round days of the space from ``since`` on, sorted: local dates
        with at least one round, all of them revealed. A day with a round still
        open is not finished, so nobody has missed it yet."""
        ...

    # groups
    async def create_group(
        self, space: SpaceKey, name: str, creator: UserRef, now: datetime
    ) -> Group: ...
    async def find_group(self, space: SpaceKey, name: str) -> Group | None: ...
    async def list_groups(self, space: SpaceKey) -> list[Group]: ...
    async def join_group(self, group_id: int, user: UserRef, now: datetime) -> bool: ...
    async def leave_group(self, group_id: int, user: UserRef) -> bool: ...
    async def groups_of(self, space: SpaceKey, user: UserRef) -> list[Group]: ...

    # reports and recaps
    async def add_report(
        self, question_id: str, space: SpaceKey | None, user: UserRef, reason: str, now: datetime
    ) -> Report: ...
    async def open_reports(self, space: SpaceKey | None = None) -> list[Report]: ...
    async def claim_recap(self, channel: ChannelRef, week_key: str, now: datetime) -> bool: ...
    async def round_count(self, channel: ChannelRef, since: date) -> int: ...

    # drills
    async def create_drill(
        self, user: UserRef, space: SpaceKey | None, questions: Sequence[Question], now: datetime
    ) -> DrillSession: ...
    async def get_drill(self, session_id: int) -> DrillSession | None: ...
    async def record_drill_answer(
        self, session: DrillSession, question: Question, choice: str, correct: bool, now: datetime
    ) -> DrillSession | None:
        """Record the answer to ``session``'s current question and move it on;
        ``None`` when that question was answered already (a double click)."""
        ...

    async def drill_totals(self, user: UserRef) -> DrillTotals: ...

    # privacy
    async def export_user(self, user: UserRef) -> dict[str, Any] | None:
        """Everything stored about ``user`` as JSON-ready data; None if nothing is."""
        ...

    async def delete_user(self, user: UserRef) -> dict[str, int]:
        """Erase ``user`` and their rows; rows removed per kind."""
        ...
