"""Spaced repetition: every answer a user gives moves that question's card, and
``/review`` brings back what is due.

A *card* is one user and one question. Its scheduling state (``CardState``)
is computed by a :class:`CardScheduler`, a port: ``bot/srs.py`` implements it
on the FSRS package, so this module never sees the library's types and the
rules here can be read, and tested, as plain Python.

Three things feed cards: daily answers (at the reveal), drill answers and
review sessions. A choice answer becomes a grade with
:func:`grade_for_choice`; a flashcard (an ``open`` question) is graded by the
user after they saw the model answer.

The review queue puts the user's due cards first, most overdue first, then
questions they have no card for yet, from their weakest topics:

- a topic the user has never been graded in counts as the weakest (nothing
  says they know it), then topics by accuracy (share of reviews not graded
  Again), lowest first, then by mastery (share of the topic's questions whose
  card is in long-term review and recalled with probability
  ``MASTERY_RETRIEVABILITY`` or more now, see :func:`is_mastered`), then by name;
- new questions are taken in turn from the ``WEAK_TOPICS`` weakest topics that
  still have questions without a card, so one session mixes a few topics, and
  within a topic alternately a choice question and a flashcard.

A session lives in the store like a drill does: each step is written in its
own transaction, together with the card it moves, and only from the position
the caller saw, so a double click counts once, a restart loses nothing and
buttons keep working. A session nobody touched for ``ReviewSettings.idle`` is
expired; grades given before that are kept.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core import counts
from bot.core.errors import Forbidden, NotFound, UserError
from bot.core.models import SpaceKey, UserRef
from bot.core.ports import Clock, QuestionSource, Store
from bot.core.progress import MASTERY_RETRIEVABILITY, ReviewProgress, TopicProgress
from bot.core.questions import Difficulty, Kind, Question

DEFAULT_COUNT = 10
MAX_COUNT = 50
WEAK_TOPICS = 3
"""New questions come from this many of the weakest topics, taken in turn."""
HISTORY_DAYS = 30
"""Days of reviews in a progress chart."""

ALREADY_ANSWERED = "you already answered that one; carry on with the current card"
FINISHED = "this review is finished; run /review for another"


class ReviewExpired(UserError):
    """A click on a session left idle too long. Its own type so an adapter can
    drop the session it holds (the terminal) or grey out its buttons."""

    def __init__(self) -> None:
        super().__init__(
            "this review expired; run /review to start again (your earlier grades are saved)"
        )


class Grade(enum.IntEnum):
    """How well a card was recalled. The numbers are the ones FSRS uses, so a
    stored grade reads the same in the package's documentation."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | int) -> Grade:
        """``again|hard|good|easy`` or ``1``–``4``; a clear error otherwise."""
        word = str(text).strip().lower()
        for grade in cls:
            if word in {grade.label, str(grade.value)}:
                return grade
        raise UserError(f"'{text}' is not a grade; use again, hard, good or easy (or 1-4)")


class CardPhase(enum.IntEnum):
    """Where a card is in its life: being learnt, in long-term review, or being
    learnt again after a lapse. Numbered as FSRS numbers its states."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class ReviewSource(enum.StrEnum):
    DAILY = "daily"
    DRILL = "drill"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class CardState:
    """A card's scheduling state: what the store keeps between reviews."""

    state: CardPhase
    step: int | None
    """Learning or relearning step; ``None`` in long-term review."""
    stability: float | None
    """Days until recall probability falls to 90 %; ``None`` before a first review."""
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0
    """Times the card was forgotten (graded Again) while in long-term review."""
    mastered_until: datetime | None = None
    """Until when it counts as mastered (see :func:`is_mastered`); the store
    indexes it so the queue counts mastered cards without a scan."""


class CardScheduler(Protocol):
    """The port to the scheduling algorithm (FSRS in ``bot/srs.py``).

    ``review`` of ``None`` is a card's first review. Implementations count
    ``reps`` and ``lapses`` and fill ``mastered_until`` (with
    :func:`mastered_until`), so every caller stores the same thing.
    """

    def review(self, card: CardState | None, grade: Grade, at: datetime) -> CardState: ...

    def retrievability(self, card: CardState, at: datetime) -> float:
        """Probability, 0 to 1, that the card is recalled at ``at``."""
        ...


def grade_for_choice(correct: bool, seconds: float | None, easy_within: float) -> Grade:
    """A multiple-choice answer as a grade: wrong is Again; right is Easy when
    given within ``easy_within`` seconds, Good otherwise (or when the time is
    unknown, as for a daily answer given hours after the post)."""
    if not correct:
        return Grade.AGAIN
    if seconds is not None and 0 <= seconds <= easy_within:
        return Grade.EASY
    return Grade.GOOD


def is_mastered(scheduler: CardScheduler, card: CardState, at: datetime) -> bool:
    """In long-term review and recalled with probability ``MASTERY_RETRIEVABILITY``
    or more at ``at``. FSRS counts elapsed time in whole days, so a card
    forgotten an hour ago still has a recall probability of 1 today; a card
    still being (re)learnt therefore never counts, whatever that figure says."""
    return (
        card.state is CardPhase.REVIEW
        and scheduler.retrievability(card, at) >= MASTERY_RETRIEVABILITY
    )


def mastered_until(scheduler: CardScheduler, card: CardState) -> datetime | None:
    """Until when :func:`is_mastered` holds for ``card`` (``None``: it does not)."""
    if card.state is not CardPhase.REVIEW:
        return None
    return recall_holds_until(scheduler, card, MASTERY_RETRIEVABILITY)


def recall_holds_until(
    scheduler: CardScheduler, card: CardState, threshold: float
) -> datetime | None:
    """The first instant (to the minute) at which ``card``'s recall probability
    is below ``threshold``; ``None`` when it already is at its last review.

    Worked out from ``retrievability`` alone, which falls as time passes, by
    doubling then halving the interval, so any scheduler behind the port gets
    the same treatment.
    """
    start = card.last_review
    if start is None or scheduler.retrievability(card, start) < threshold:
        return None
    horizon = timedelta(days=1)
    while scheduler.retrievability(card, start + horizon) >= threshold:
        horizon *= 2
        if horizon > timedelta(days=365 * 300):
            return start + horizon  # recalled for longer than anyone will study
    holds, fails = start, start + horizon
    while fails - holds > timedelta(minutes=1):
        middle = holds + (fails - holds) / 2
        if scheduler.retrievability(card, middle) >= threshold:
            holds = middle
        else:
            fails = middle
    return fails


@dataclass(frozen=True, slots=True)
class CardReview:
    """One grade for one card, applied by the store inside the write
    transaction that records the answer, to the card as it is stored then."""

    grade: Grade
    source: ReviewSource
    at: datetime
    scheduler: CardScheduler

    def apply(self, card: CardState | None) -> CardState:
        return self.scheduler.review(card, self.grade, self.at)


@dataclass(frozen=True, slots=True)
class QueueStatus:
    due_now: int
    """Cards due at this moment (all of them, not only the ones in a session)."""
    next_due: datetime | None
    """When the next card that is not due yet will be; ``None`` if none is."""


@dataclass(frozen=True, slots=True)
class DueCard:
    question_id: str
    due: datetime


@dataclass(frozen=True, slots=True)
class TopicStanding:
    """What the store knows of one user in one topic, for ranking topics."""

    reviews: int = 0
    correct: int = 0
    """Reviews not graded Again."""
    mastered: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.reviews if self.reviews else None


@dataclass(frozen=True, slots=True)
class StoredCard:
    question_id: str
    topic: str
    card: CardState


@dataclass(frozen=True, slots=True)
class ReviewItem:
    question: Question
    due: datetime | None = None
    """When the card was due; ``None`` for a question new to the user."""

    @property
    def flashcard(self) -> bool:
        return self.question.kind is Kind.OPEN


@dataclass(frozen=True, slots=True)
class ReviewSession:
    id: int
    user: UserRef
    items: tuple[ReviewItem, ...]
    position: int
    """Index of the current item; equal to ``total`` when finished."""
    revealed: bool
    """The current flashcard's model answer has been shown."""
    correct: int
    """Choice items answered right."""
    grades: tuple[Grade, ...]
    """One per item done, in order."""
    started_at: datetime
    active_at: datetime
    """The last step (or the start): idle expiry and the choice timer count from it."""
    expired: bool = False

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def finished(self) -> bool:
        return self.position >= self.total

    @property
    def current(self) -> ReviewItem | None:
        return None if self.finished else self.items[self.position]

    @property
    def choice_items(self) -> int:
        return sum(not item.flashcard for item in self.items)

    def flashcard_grades(self) -> dict[Grade, int]:
        """How the flashcards done so far were graded, in grade order, given
        grades only (multiple-choice items are graded by the bot)."""
        given = [g for item, g in zip(self.items, self.grades, strict=False) if item.flashcard]
        return {grade: given.count(grade) for grade in Grade if grade in given}


@dataclass(frozen=True, slots=True)
class ReviewStart:
    session: ReviewSession | None
    """``None`` when nothing is due and every question already has a card."""
    status: QueueStatus
    due_in_session: int = 0
    """How many of the session's items are due cards (the rest are new)."""


@dataclass(frozen=True, slots=True)
class FlashcardAnswer:
    """A flashcard turned over: the renderer shows the model answer and the
    four grade buttons."""

    session: ReviewSession
    question: Question

    @property
    def model_answer(self) -> str:
        return self.question.answer


@dataclass(frozen=True, slots=True)
class ReviewStep:
    """One item done, and the session as it stands after it."""

    session: ReviewSession
    question: Question
    grade: Grade
    """The grade recorded for the card."""
    next_due: datetime
    """When this card comes back."""
    chosen: str | None = None
    """The letter picked, for a choice item."""
    correct: bool | None = None
    """Whether that letter was right; ``None`` for a flashcard."""
    status: QueueStatus | None = None
    """Filled in when this step finished the session."""

    @property
    def flashcard(self) -> bool:
        return self.question.kind is Kind.OPEN


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    easy_within: float = 10.0
    """A right choice answer within this many seconds is graded Easy."""
    idle: timedelta = timedelta(minutes=30)
    """A session untouched this long is expired."""


def wait_text(now: datetime, then: datetime) -> str:
    """``now``, ``in 10 minutes``, ``in 3 hours``, ``in 12 days``: when a card
    comes back, in words every renderer can use as they are."""
    seconds = (then - now).total_seconds()
    if seconds <= 0:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = round(seconds / size)
            return f"in {amount} {unit}{'' if amount == 1 else 's'}"
    return "in under a minute"


def parse_count(value: int | str | None) -> int:
    return counts.parse_count(
        value, default=DEFAULT_COUNT, most=MAX_COUNT, noun="cards", session="a review"
    )


def _interleave_kinds(questions: Sequence[Question]) -> list[Question]:
    """Choice questions and flashcards taken in turn, each in the given order."""
    choice = deque(q for q in questions if q.kind is Kind.CHOICE)
    flash = deque(q for q in questions if q.kind is not Kind.CHOICE)
    mixed: list[Question] = []
    while choice or flash:
        for pile in (choice, flash):
            if pile:
                mixed.append(pile.popleft())
    return mixed


def topic_order(
    topics: Sequence[str], standings: dict[str, TopicStanding], sizes: dict[str, int]
) -> list[str]:
    """Weakest first: never graded, then lowest accuracy, then lowest mastery."""

    def weakness(topic: str) -> tuple[int, float, float, str]:
        standing = standings.get(topic, TopicStanding())
        accuracy = standing.accuracy
        size = sizes.get(topic, 0)
        mastery = standing.mastered / size if size else 0.0
        return (0 if accuracy is None else 1, accuracy or 0.0, mastery, topic)

    return sorted(topics, key=weakness)


class ReviewQueue:
    """Builds a user's queue: due cards, then new questions from weak topics.

    Shared by ``/review`` and ``/drill`` without a topic. It reads only through
    indexes: the due cards by (user, due), the topics' totals from a small
    per-topic table (mastery from an index on (user, topic, mastered_until),
    and only to break a tie), and new questions by probing the card keys of a
    few candidates, never every card of the user.
    """

    def __init__(self, *, store: Store, bank: QuestionSource, rng: random.Random) -> None:
        self.store = store
        self.bank = bank
        self.rng = rng
        self._by_topic: dict[str, list[Question]] | None = None

    def by_topic(self) -> dict[str, list[Question]]:
        """The bank per topic, in bank order (the bank never changes while running)."""
        if self._by_topic is None:
            grouped: dict[str, list[Question]] = {t: [] for t in self.bank.topics()}
            for question in self.bank.filter():
                grouped.setdefault(question.topic, []).append(question)
            self._by_topic = grouped
        return self._by_topic

    async def build(
        self,
        user: UserRef,
        now: datetime,
        count: int,
        *,
        kinds: Collection[Kind] = (Kind.CHOICE, Kind.OPEN),
        difficulty: Difficulty | None = None,
    ) -> list[ReviewItem]:
        def fits(question: Question | None) -> bool:
            return (
                question is not None
                and question.kind in kinds
                and (difficulty is None or question.difficulty is difficulty)
            )

        items: list[ReviewItem] = []
        page = max(2 * count, 20)
        after: DueCard | None = None
        while len(items) < count:
            due = await self.store.due_cards(user, now, page, after)
            for card in due:
                question = self.bank.get(card.question_id)
                if question is not None and fits(question):
                    items.append(ReviewItem(question, card.due))
                    if len(items) == count:
                        break
            if len(due) < page:
                break
            after = due[-1]
        if len(items) < count:
            fresh = await self._new_questions(user, now, count - len(items), fits)
            items.extend(ReviewItem(q) for q in fresh)
        return items

    async def _standings(
        self, user: UserRef, now: datetime, topics: Collection[str]
    ) -> dict[str, TopicStanding]:
        """Per-topic totals, with mastery read only for topics whose accuracy
        ties with another's: mastery only breaks ties, and counting it costs an
        index range per topic."""
        totals = await self.store.topic_totals(user)
        by_accuracy: dict[float, list[str]] = {}
        for topic, standing in totals.items():
            if standing.accuracy is not None and topic in topics:
                by_accuracy.setdefault(standing.accuracy, []).append(topic)
        tied = sorted(t for group in by_accuracy.values() if len(group) > 1 for t in group)
        if not tied:
            return totals
        mastered = await self.store.mastered_counts(user, now, tied)
        return {
            topic: TopicStanding(s.reviews, s.correct, mastered.get(topic, 0))
            for topic, s in totals.items()
        }

    async def _new_questions(
        self, user: UserRef, now: datetime, wanted: int, fits: _Fits
    ) -> list[Question]:
        by_topic = self.by_topic()
        standings = await self._standings(user, now, by_topic)
        sizes = {topic: len(questions) for topic, questions in by_topic.items()}
        order = iter(topic_order(list(by_topic), standings, sizes))
        # Candidates are probed a slice at a time: a topic seldom needs more than
        # ``wanted`` new questions, and a user who knows most of it would
        # otherwise have every question of the topic looked up. The first
        # slices of several topics share one lookup.
        probe = min(500, max(32, 8 * wanted))

        async def next_piles(how_many: int) -> list[deque[Question]]:
            piles: list[deque[Question]] = []
            while len(piles) < how_many:
                batch: list[list[Question]] = []
                for topic in order:
                    candidates = [q for q in by_topic[topic] if fits(q)]
                    if candidates:
                        batch.append(candidates)
                        if len(batch) == how_many - len(piles):
                            break
                if not batch:
                    break
                # A random slice of each topic first; the rest only if needed.
                slices = [self.rng.sample(c, min(probe, len(c))) for c in batch]
                held = await self.store.held_cards(user, [q.id for p in slices for q in p])
                for candidates, first in zip(batch, slices, strict=True):
                    fresh = [q for q in first if q.id not in held]
                    if len(fresh) < wanted and len(first) < len(candidates):
                        probed = {q.id for q in first}
                        rest = [q for q in candidates if q.id not in probed]
                        self.rng.shuffle(rest)
                        more = await self.store.held_cards(user, [q.id for q in rest])
                        fresh.extend(q for q in rest if q.id not in more)
                    if fresh:
                        piles.append(deque(_interleave_kinds(fresh)))
            return piles

        piles = await next_piles(WEAK_TOPICS)
        chosen: list[Question] = []
        while len(chosen) < wanted and piles:
            for pile in list(piles):
                if len(chosen) == wanted:
                    break
                chosen.append(pile.popleft())
                if not pile:
                    piles.remove(pile)
                    piles.extend(await next_piles(1))
        return chosen


class _Fits(Protocol):
    def __call__(self, question: Question | None) -> bool: ...


class ReviewService:
    """``/review`` sessions, the progress behind ``/stats``, and the grades the
    drills feed in."""

    def __init__(
        self,
        *,
        store: Store,
        bank: QuestionSource,
        scheduler: CardScheduler,
        clock: Clock,
        settings: ReviewSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.bank = bank
        self.scheduler = scheduler
        self.clock = clock
        self.settings = settings or ReviewSettings()
        self.queue = ReviewQueue(store=store, bank=bank, rng=rng or random.Random())

    # --- feeding cards from other answers ---------------------------------

    def choice_review(
        self, correct: bool, seconds: float | None, source: ReviewSource, at: datetime
    ) -> CardReview:
        """The card update for a multiple-choice answer given ``seconds`` after
        the question was shown (``None``: unknown)."""
        grade = grade_for_choice(correct, seconds, self.settings.easy_within)
        return CardReview(grade, source, at, self.scheduler)

    # --- the queue --------------------------------------------------------

    async def status(self, user: UserRef, now: datetime | None = None) -> QueueStatus:
        now = now or self.clock.now()
        return QueueStatus(
            await self.store.due_card_count(user, now), await self.store.next_due(user, now)
        )

    async def start(
        self, user: UserRef, space: SpaceKey | None, count: int | str | None = None
    ) -> ReviewStart:
        wanted = parse_count(count)
        now = self.clock.now()
        items = await self.queue.build(user, now, wanted)
        status = await self.status(user, now)
        if not items:
            return ReviewStart(None, status)
        session = await self.store.create_review_session(user, space, items, now)
        return ReviewStart(session, status, sum(item.due is not None for item in items))

    # --- one session ------------------------------------------------------

    async def session(self, session_id: int, user: UserRef) -> ReviewSession:
        """The caller's session as it stands (to redraw it); refuses others'."""
        session = await self.store.get_review_session(session_id)
        if session is None:
            raise NotFound("this review no longer exists; run /review to start again")
        if (session.user.platform, session.user.external_id) != (user.platform, user.external_id):
            raise Forbidden("this review belongs to someone else; start your own with /review")
        return session

    def _idle_since(self, now: datetime) -> datetime:
        return now - self.settings.idle

    async def _expire_if_idle(self, session: ReviewSession, now: datetime) -> bool:
        """True when ``session`` is expired, marking it so if it only just went idle."""
        if session.finished:
            return False
        if session.expired:
            return True
        if session.active_at > self._idle_since(now):
            return False
        await self.store.expire_review_session(session.id, now)
        return True

    async def _current(
        self, session_id: int, user: UserRef, position: int, now: datetime
    ) -> tuple[ReviewSession, ReviewItem]:
        session = await self.session(session_id, user)
        if await self._expire_if_idle(session, now):
            raise ReviewExpired()
        item = session.current
        if position < session.position:
            raise UserError(ALREADY_ANSWERED)
        if item is None:
            raise UserError(FINISHED)
        if position != session.position:
            raise UserError(f"that card is not up yet; you are on card {session.position + 1}")
        return session, item

    async def _refused(self, session_id: int, now: datetime) -> UserError:
        """Why the store refused a step that passed our checks: a double click
        got there first, or the session went idle meanwhile."""
        latest = await self.store.get_review_session(session_id)
        if latest is not None and await self._expire_if_idle(latest, now):
            return ReviewExpired()
        return UserError(ALREADY_ANSWERED)

    async def answer(
        self, session_id: int, user: UserRef, position: int, letter: str
    ) -> ReviewStep:
        """A choice item answered with ``letter``; graded by correctness and time."""
        now = self.clock.now()
        session, item = await self._current(session_id, user, position, now)
        question = item.question
        if item.flashcard:
            raise UserError(
                "this one is a flashcard: show the answer, then grade yourself "
                "again, hard, good or easy"
            )
        letter = letter.strip().lower()
        if letter not in question.letters():
            allowed = ", ".join(question.letters())
            raise UserError(f"'{letter}' is not an option here; choose one of {allowed}")
        correct = letter == question.answer
        seconds = (now - session.active_at).total_seconds()
        review = self.choice_review(correct, seconds, ReviewSource.REVIEW, now)
        return await self._step(session, question, review, now, chosen=letter, correct=correct)

    async def show_answer(self, session_id: int, user: UserRef, position: int) -> FlashcardAnswer:
        """Turn the current flashcard over. Pressing it twice shows it twice."""
        now = self.clock.now()
        session, item = await self._current(session_id, user, position, now)
        if not item.flashcard:
            raise UserError(f"answer this one with a letter: {', '.join(item.question.letters())}")
        shown = await self.store.reveal_review_card(session, now, self._idle_since(now))
        if shown is None:
            raise await self._refused(session_id, now)
        return FlashcardAnswer(shown, item.question)

    async def grade(
        self, session_id: int, user: UserRef, position: int, grade: Grade | str | int
    ) -> ReviewStep:
        """The user's own grade for the flashcard whose answer they have seen."""
        chosen = grade if isinstance(grade, Grade) else Grade.parse(grade)
        now = self.clock.now()
        session, item = await self._current(session_id, user, position, now)
        if not item.flashcard:
            raise UserError(f"answer this one with a letter: {', '.join(item.question.letters())}")
        if not session.revealed:
            raise UserError("show the answer first, then grade yourself")
        review = CardReview(chosen, ReviewSource.REVIEW, now, self.scheduler)
        return await self._step(session, item.question, review, now)

    async def _step(
        self,
        session: ReviewSession,
        question: Question,
        review: CardReview,
        now: datetime,
        *,
        chosen: str | None = None,
        correct: bool | None = None,
    ) -> ReviewStep:
        done = await self.store.record_review_step(
            session, review, correct=correct, idle_since=self._idle_since(now)
        )
        if done is None:
            raise await self._refused(session.id, now)
        updated, card = done
        status = await self.status(session.user, now) if updated.finished else None
        return ReviewStep(updated, question, review.grade, card.due, chosen, correct, status)

    # --- progress ---------------------------------------------------------

    async def progress(self, user: UserRef, now: datetime | None = None) -> ReviewProgress:
        """Cards, mastery and accuracy per topic, and reviews per day (UTC days,
        the last ``HISTORY_DAYS`` including today, days without reviews as 0)."""
        now = now or self.clock.now()
        cards = await self.store.user_cards(user)
        standings = await self.store.topic_totals(user)
        by_topic = self.queue.by_topic()
        mastered: dict[str, int] = {}
        for stored in cards:
            question = self.bank.get(stored.question_id)
            if question is None:
                continue  # no longer in the bank: nothing to master
            if is_mastered(self.scheduler, stored.card, now):
                mastered[question.topic] = mastered.get(question.topic, 0) + 1
        topics = tuple(
            TopicProgress(
                topic=topic,
                questions=len(questions),
                answered=standings.get(topic, TopicStanding()).reviews,
                correct=standings.get(topic, TopicStanding()).correct,
                mastered=mastered.get(topic, 0),
            )
            for topic, questions in by_topic.items()
        )
        today = now.date()
        first = today - timedelta(days=HISTORY_DAYS - 1)
        counts = await self.store.reviews_per_day(user, first)
        days = tuple((day, counts.get(day, 0)) for day in _days(first, today))
        status = await self.status(user, now)
        return ReviewProgress(
            due_now=status.due_now,
            next_due=status.next_due,
            cards=len(cards),
            topics=topics,
            reviews_per_day=days,
        )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
