"""Private drills: a short run of questions answered one at a time.

A drill lives in the store, not in memory, so a button pressed after a restart
still finds its question, and a second click on an old question is refused
instead of being scored twice. Every answer is kept per question so the
spaced-repetition work can later pick what a user keeps getting wrong.
"""

from __future__ import annotations

import random

from bot.core import counts
from bot.core.errors import Forbidden, NotFound, UserError
from bot.core.models import DrillFeedback, DrillSession, DrillTotals, SpaceKey, UserRef
from bot.core.ports import Clock, QuestionSource, Store
from bot.core.questions import Kind
from bot.core.reviews import ReviewService, ReviewSource
from bot.core.schedules import parse_difficulty

DEFAULT_COUNT = 5
MAX_COUNT = 20
ALREADY_ANSWERED = "you already answered that question; carry on with the current one"


def parse_count(value: int | str | None) -> int:
    return counts.parse_count(
        value, default=DEFAULT_COUNT, most=MAX_COUNT, noun="questions", session="a drill"
    )


class DrillService:
    def __init__(
        self,
        *,
        store: Store,
        bank: QuestionSource,
        clock: Clock,
        rng: random.Random,
        reviews: ReviewService | None = None,
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.rng = rng
        self.reviews = reviews
        """Spaced repetition: a drill with no topic is drawn from the user's
        review queue, and every answer moves that question's card."""

    async def start(
        self,
        user: UserRef,
        space: SpaceKey | None,
        *,
        topic: str | None = None,
        difficulty: str | None = None,
        count: int | str | None = None,
    ) -> DrillSession:
        wanted = parse_count(count)
        level = parse_difficulty(difficulty)
        topics = None
        if not (topic and topic.strip()) and self.reviews is not None:
            # No topic: what is due first, then new questions from weak topics.
            # Drills are multiple choice, so flashcards stay in /review.
            items = await self.reviews.queue.build(
                user, self.clock.now(), wanted, kinds=(Kind.CHOICE,), difficulty=level
            )
            if not items:
                raise NotFound("no questions match that difficulty; try another")
            return await self.store.create_drill(
                user, space, [item.question for item in items], self.clock.now()
            )
        if topic and topic.strip().lower() not in {"any", "all"}:
            slug = topic.strip().lower()
            if not self.bank.has_topic(slug):
                known = ", ".join(self.bank.topics())
                raise UserError(f"unknown topic '{topic}'; known topics: {known}")
            topics = [slug]
        pool = self.bank.filter(topics=topics, difficulty=level, kind=Kind.CHOICE)
        if not pool:
            raise NotFound("no questions match that topic and difficulty; try another mix")
        chosen = self.rng.sample(pool, min(wanted, len(pool)))
        return await self.store.create_drill(user, space, chosen, self.clock.now())

    async def answer(
        self, session_id: int, user: UserRef, position: int, letter: str
    ) -> DrillFeedback:
        """Score one answer; only the drill's owner may answer, each question once."""
        session = await self.store.get_drill(session_id)
        if session is None:
            raise NotFound("this drill no longer exists; start a new one with /drill")
        if (session.user.platform, session.user.external_id) != (user.platform, user.external_id):
            raise Forbidden("this drill belongs to someone else; start your own with /drill")
        if position != session.position:
            raise UserError(ALREADY_ANSWERED)
        question = session.questions[position]
        letter = letter.strip().lower()
        if letter not in question.letters():
            allowed = ", ".join(question.letters())
            raise UserError(f"'{letter}' is not an option here; choose one of {allowed}")
        correct = letter == question.answer
        now = self.clock.now()
        review = None
        if self.reviews is not None:
            shown = session.step_started_at
            seconds = None if shown is None else (now - shown).total_seconds()
            review = self.reviews.choice_review(correct, seconds, ReviewSource.DRILL, now)
        updated = await self.store.record_drill_answer(
            session, question, letter, correct, now, review
        )
        if updated is None:
            raise UserError(ALREADY_ANSWERED)
        return DrillFeedback(updated, question, letter, correct)

    async def totals(self, user: UserRef) -> DrillTotals:
        return await self.store.drill_totals(user)
