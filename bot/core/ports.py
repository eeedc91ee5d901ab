"""The interfaces the domain needs from the outside world.

The domain calls these; adapters, the SQLite store and the APScheduler wiring
implement them. Nothing here imports a chat library, a database driver or a
scheduler, so the rules can be tested with plain fakes and moved to Slack or
PostgreSQL without change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

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

if TYPE_CHECKING:  # reviews.py imports this module; these names are only annotations here
    from bot.core.reviews import (
        CardReview,
        CardState,
        DueCard,
        ReviewItem,
        ReviewSession,
        StoredCard,
        TopicStanding,
    )

if TYPE_CHECKING:  # reminders.py and ownership.py import this module too
    from bot.core.ownership import Owned, Worker
    from bot.core.reminders import Reminder


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

    async def send_private(self, user: UserRef, text: str) -> None:
        """A direct message to ``user``. Raises :class:`PostFailed`, permanent
        when that person cannot be messaged at all (closed DMs, blocked the
        bot, account gone)."""
        ...


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

    def set_reminder(self, reminder: Reminder) -> None:
        """Add or replace a user's daily reminder job (none when it is off)."""
        ...

    def remove_reminder(self, user_id: int) -> None: ...

    def retry_reminder(self, user_id: int, at: datetime) -> None:
        """Try a reminder once more at ``at`` (after a transient failure)."""
        ...


@dataclass(frozen=True, slots=True)
class Settlement:
    """What one step of a reveal writes: its answers scored and those answerers'
    new streaks."""

    scored: Sequence[ScoredAnswer]
    streaks: dict[int, StreakState]
    reviews: Mapping[int, CardReview] = field(default_factory=dict)
    """Per user id, the spaced-repetition grade of their answer, which the store
    applies to their card of this question in the same step. Daily answers
    feed the cards only here, at the reveal, so a card moving early can never
    give an answer away."""


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
        posted twice, even after a crash mid-post. An extra round is refused
        (``None``) while any round in the channel is unrevealed, checked in the
        same transaction, so two processes cannot both open one."""
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
        self,
        session: DrillSession,
        question: Question,
        choice: str,
        correct: bool,
        now: datetime,
        review: CardReview | None = None,
    ) -> DrillSession | None:
        """Record the answer to ``session``'s current question and move it on;
        ``None`` when that question was answered already (a double click).
        ``review``, if given, moves the question's card in the same transaction."""
        ...

    async def drill_totals(self, user: UserRef) -> DrillTotals: ...

    # spaced repetition (cards, review log, review sessions)
    async def due_card_count(self, user: UserRef, now: datetime) -> int:
        """Cards of ``user`` due at ``now`` (an index range count)."""
        ...

    async def next_due(self, user: UserRef, after: datetime) -> datetime | None:
        """The earliest due date strictly after ``after``."""
        ...

    async def due_cards(
        self, user: UserRef, now: datetime, limit: int, after: DueCard | None = None
    ) -> list[DueCard]:
        """Due cards, most overdue first; ``after`` continues from a previous page."""
        ...

    async def held_cards(self, user: UserRef, question_ids: Sequence[str]) -> set[str]:
        """Which of ``question_ids`` the user already has a card for."""
        ...

    async def topic_totals(self, user: UserRef) -> dict[str, TopicStanding]:
        """Reviews and right reviews per topic (``mastered`` left at 0)."""
        ...

    async def mastered_counts(
        self, user: UserRef, now: datetime, topics: Sequence[str]
    ) -> dict[str, int]:
        """Cards mastered at ``now`` in each of ``topics`` (index range counts)."""
        ...

    async def user_cards(self, user: UserRef) -> list[StoredCard]: ...
    async def reviews_per_day(self, user: UserRef, since: date) -> dict[date, int]:
        """Reviews per UTC day from ``since`` on."""
        ...

    async def create_review_session(
        self, user: UserRef, space: SpaceKey | None, items: Sequence[ReviewItem], now: datetime
    ) -> ReviewSession: ...
    async def get_review_session(self, session_id: int) -> ReviewSession | None: ...
    async def reveal_review_card(
        self, session: ReviewSession, now: datetime, idle_since: datetime
    ) -> ReviewSession | None:
        """Mark the current flashcard's answer shown; ``None`` when the session
        moved on or was idle since ``idle_since``."""
        ...

    async def record_review_step(
        self,
        session: ReviewSession,
        review: CardReview,
        *,
        correct: bool | None,
        idle_since: datetime,
    ) -> tuple[ReviewSession, CardState] | None:
        """Finish the current item and apply ``review`` to its card, in one
        transaction, only from the position ``session`` was read at and only
        if it was active after ``idle_since``; ``None`` otherwise."""
        ...

    async def expire_review_session(self, session_id: int, now: datetime) -> None: ...

    # daily reminders (keyed by the user's store key)
    async def save_reminder(
        self, user: UserRef, at: time, timezone: str, now: datetime
    ) -> Reminder:
        """Turn ``user``'s reminder on at ``at`` in ``timezone``; keeps ``last_sent``."""
        ...

    async def get_reminder(self, user: UserRef) -> Reminder | None: ...
    async def get_reminder_by_id(self, user_id: int) -> Reminder | None: ...
    async def list_reminders(self) -> list[Reminder]:
        """Every reminder that is on, for rebuilding the jobs at start-up."""
        ...

    async def set_reminder_enabled(self, user_id: int, enabled: bool, now: datetime) -> None: ...
    async def claim_reminder(self, user_id: int, day: date) -> bool:
        """Record that ``day``'s reminder is being sent, before sending it;
        False when that day (or a later one) was claimed already."""
        ...

    async def release_reminder(self, user_id: int, day: date, previous: date | None) -> None:
        """Undo a claim of ``day`` whose message was not delivered."""
        ...

    # leases of the processes sharing the store (core/ownership.py)
    async def renew_lease(
        self, worker: Worker, owned: Owned, *, keep_expired: timedelta
    ) -> list[Worker]:
        """Write this process's lease; every row, live or recently expired."""
        ...

    async def report_owned(self, name: str, owned: Owned) -> None:
        """Update the owned counts in a lease row (after a renewal adopted or
        dropped work), so ``db status`` is current."""
        ...

    async def end_lease(self, name: str) -> None: ...
    async def list_workers(self) -> list[Worker]: ...

    # privacy
    async def export_user(self, user: UserRef) -> dict[str, Any] | None:
        """Everything stored about ``user`` as JSON-ready data; None if nothing is."""
        ...

    async def delete_user(self, user: UserRef) -> dict[str, int]:
        """Erase ``user`` and their rows; rows removed per kind."""
        ...
