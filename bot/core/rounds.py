"""The life of a round: post, take answers, reveal.

Rules that must hold whatever crashes: a scheduled date is claimed in the
database before anything is posted, so a channel never gets two questions for
one date; a reveal first flips the round to ``revealed`` in the same
transaction that scores it, so it happens exactly once; an answer is
acknowledged only after the batch holding it is committed.

And, whatever fails on the way (the platform, a bug in an adapter, a database
another program keeps locked), a claimed round is either dropped or revealed:
never left behind.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.batching import GroupCommitter
from bot.core.errors import StoreBusy, UserError
from bot.core.models import (
    AnswerOutcome,
    AnswerResult,
    AnswerSubmission,
    ChannelRef,
    RecordedAnswer,
    RevealSummary,
    RevealTally,
    Round,
    RoundKind,
    RoundStatus,
    Schedule,
    StreakState,
    UserRef,
)
from bot.core.ports import (
    Clock,
    JobScheduler,
    Platform,
    PostFailed,
    QuestionSource,
    Settlement,
    Store,
)
from bot.core.questions import Kind, Question
from bot.core.reviews import ReviewService, ReviewSource
from bot.core.scoring import score_answers
from bot.core.selection import choose_question
from bot.core.settings import GameSettings
from bot.core.streaks import advance
from bot.core.telemetry import NoTelemetry, Telemetry
from bot.core.timeutil import local_date, previous_occurrence, zone

log = logging.getLogger(__name__)
ALREADY_OPEN = "a round is already open in this channel; end it first with /daily reveal"

FIRST_CORRECT_SHOWN = 3
STREAKS_SHOWN = 5
# Reasons recorded for ``/daily show`` when posting failed for something other
# than the platform refusing (which gives its own reason).
UNEXPECTED_POST_ERROR = "unexpected error while posting; see the bot's log"
DATABASE_BUSY = "the database was busy (another program held its lock)"


class RoundService:
    def __init__(
        self,
        *,
        store: Store,
        bank: QuestionSource,
        platforms: Mapping[str, Platform],
        scheduler: JobScheduler,
        clock: Clock,
        settings: GameSettings,
        rng: random.Random | None = None,
        telemetry: Telemetry | None = None,
        reviews: ReviewService | None = None,
    ) -> None:
        self.store = store
        self.reviews = reviews
        """Turns each revealed answer into a card grade; ``None``: no cards."""
        self.telemetry: Telemetry = telemetry or NoTelemetry()
        self.bank = bank
        self.platforms = platforms
        self.scheduler = scheduler
        self.clock = clock
        self.settings = settings
        self.rng = rng or random.Random()
        self._open: dict[int, Round] = {}
        self._answers: GroupCommitter[AnswerSubmission, AnswerResult] = GroupCommitter(
            store.record_answers, on_batch=self.telemetry.batch_committed
        )
        self._post_slots = asyncio.Semaphore(settings.max_concurrent_posts)
        self._channel_locks: defaultdict[ChannelRef, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Claims whose question never reached the channel but could not be
        # dropped (the database was busy); dropped before the next post.
        self._undelivered: set[int] = set()

    # ---- posting -------------------------------------------------------

    async def post_scheduled(self, schedule_id: int) -> Round | None:
        """Job callback: post today's question for a schedule, unless already done,
        paused, or later than the grace window allows."""
        schedule = await self.store.get_schedule_by_id(schedule_id)
        if schedule is None or schedule.paused:
            return None
        now = self.clock.now()
        due = previous_occurrence(
            schedule.post_time, zone(schedule.timezone), schedule.weekdays, now
        )
        if due is None or now - due > self.settings.late_post_grace:
            log.info("skipping post for schedule %s: not due within the grace window", schedule_id)
            return None
        try:
            return await self._post(
                schedule.channel, RoundKind.SCHEDULED, schedule, local_date(due, schedule.timezone)
            )
        except StoreBusy:
            # The claim is the first write, and every write after it handles a
            # busy database itself, so nothing was claimed: retrying is safe.
            log.warning("posting for schedule %s: the database is busy", schedule_id)
            await self._post_failed(schedule, DATABASE_BUSY, permanent=False)
            return None

    async def post_now(self, channel: ChannelRef) -> Round:
        """``/daily now``: an extra round that does not use up the day's scheduled post.

        Serialised per channel, so two admins pressing it together get one round."""
        async with self._channel_locks[channel]:
            await self._discard_undelivered()
            if await self.store.latest_open_round(channel) is not None:
                raise UserError(ALREADY_OPEN)
            schedule = await self.store.get_schedule(channel)
            tz = schedule.timezone if schedule else self.settings.default_timezone
            posted = await self._post(
                channel, RoundKind.EXTRA, schedule, local_date(self.clock.now(), tz)
            )
        if posted is None:  # another process opened one between the check and the claim
            raise UserError(ALREADY_OPEN)
        return posted

    async def _post(
        self, channel: ChannelRef, kind: RoundKind, schedule: Schedule | None, day: date
    ) -> Round | None:
        await self._discard_undelivered()
        question = await self._pick(channel, schedule)
        now = self.clock.now()
        reveal_after = schedule.reveal_after if schedule else self.settings.default_reveal_after
        round_ = await self.store.claim_round(
            channel,
            kind=kind,
            round_date=day,
            timezone=schedule.timezone if schedule else self.settings.default_timezone,
            question=question,
            posted_at=now,
            reveals_at=now + reveal_after,
            schedule_id=schedule.id if schedule else None,
        )
        if round_ is None:
            log.info("channel %s already has its question for %s", channel, day)
            return None
        try:
            async with self._post_slots:
                message_id = await self._platform(channel).post_question(round_)
        except Exception as exc:
            # The question is not on screen: drop the claim so the date can be
            # retried. An error that is not a PostFailed is a bug in the adapter;
            # it is logged in full and retried like an outage.
            self.telemetry.post_failed(
                channel.platform, exc.code if isinstance(exc, PostFailed) else "adapter_error"
            )
            if isinstance(exc, PostFailed):
                reason, permanent = exc.reason, exc.permanent
                log.warning(
                    "posting round %s failed (%s): %s",
                    round_.id,
                    "permanent" if permanent else "transient",
                    reason,
                )
            else:
                reason, permanent = UNEXPECTED_POST_ERROR, False
                log.exception("posting round %s in %s failed unexpectedly", round_.id, channel)
            await self._discard(round_.id)
            await self._post_failed(schedule, reason, permanent=permanent)
            if kind is RoundKind.EXTRA:
                raise UserError(f"could not post the question: {reason}") from exc
            return None
        opened = _with(round_, status=RoundStatus.OPEN, message_id=message_id)
        self._open[opened.id] = opened
        self.telemetry.posted(channel.platform)
        # Armed before anything else can fail: the question is on screen now.
        self.scheduler.set_reveal(opened.id, opened.reveals_at)
        try:
            await self.store.mark_posted(round_.id, message_id)
            if schedule is not None and schedule.failing and schedule.id is not None:
                await self.store.set_schedule_failing(schedule.id, None)
        except StoreBusy:
            # Like a crash after the post: the round stays 'posting', which
            # takes answers and is revealed like an open one; the message id
            # is kept in memory for the reveal.
            log.warning("round %s was posted, but the database was busy to record it", round_.id)
        return opened

    async def _post_failed(
        self, schedule: Schedule | None, reason: str, *, permanent: bool
    ) -> None:
        """Retry a transient failure (timeout, outage, busy database) later, which
        ``post_scheduled`` refuses once past the grace window; record why, for
        ``/daily show``."""
        if schedule is None or schedule.id is None:
            return
        if not permanent:
            retry_at = self.clock.now() + self.settings.retry_post_after
            self.scheduler.retry_post(schedule.id, retry_at)
        try:
            await self.store.set_schedule_failing(schedule.id, reason)
        except StoreBusy:
            log.warning(
                "could not record why schedule %s failed: the database is busy", schedule.id
            )

    async def _discard(self, round_id: int) -> None:
        """Drop the claim of a round that was never posted. If the database is
        busy, remember it: a claim left in 'posting' would block the retry (a
        date is claimed once) and look like an open round."""
        try:
            await self.store.discard_round(round_id)
        except StoreBusy:
            log.warning("could not drop unposted round %s yet: the database is busy", round_id)
            self._undelivered.add(round_id)
        else:
            self._undelivered.discard(round_id)

    async def _discard_undelivered(self) -> None:
        for round_id in sorted(self._undelivered):
            await self._discard(round_id)

    async def _pick(self, channel: ChannelRef, schedule: Schedule | None) -> Question:
        if schedule is None:
            candidates = self.bank.filter(kind=Kind.CHOICE)
        else:
            candidates = self.bank.filter(
                topics=schedule.topics or None, difficulty=schedule.difficulty, kind=Kind.CHOICE
            )
        return choose_question(candidates, await self.store.asked_counts(channel), self.rng)

    def _platform(self, channel: ChannelRef) -> Platform:
        try:
            return self.platforms[channel.platform]
        except KeyError:
            raise PostFailed(
                f"no adapter for platform {channel.platform!r}", permanent=True
            ) from None

    # ---- answering -----------------------------------------------------

    async def answer(self, round_id: int, user: UserRef, choice: str) -> AnswerResult:
        started = time.perf_counter()
        result = await self._answer(round_id, user, choice)
        self.telemetry.answered(result.outcome.value, time.perf_counter() - started)
        return result

    async def _answer(self, round_id: int, user: UserRef, choice: str) -> AnswerResult:
        round_ = self._open.get(round_id) or await self._load(round_id)
        if round_ is None:
            return AnswerResult(AnswerOutcome.UNKNOWN_ROUND)
        now = self.clock.now()
        if round_.status is RoundStatus.REVEALED or now >= round_.reveals_at:
            self._open.pop(round_id, None)
            return AnswerResult(AnswerOutcome.CLOSED, reveals_at=round_.reveals_at)
        letter = choice.strip().lower()
        allowed = round_.question.letters()
        if len(letter) != 1 or letter not in allowed:
            return AnswerResult(AnswerOutcome.INVALID_CHOICE, allowed=allowed)
        result = await self._answers.submit(AnswerSubmission(round_id, user, letter, now))
        if result.outcome is AnswerOutcome.CLOSED:
            # Revealed early by another process (or ``/daily reveal`` there):
            # stop remembering it as open here.
            self._open.pop(round_id, None)
        return result

    async def _load(self, round_id: int) -> Round | None:
        round_ = await self.store.get_round(round_id)
        if round_ is not None and round_.status is not RoundStatus.REVEALED:
            self._open[round_id] = round_
        return round_

    # ---- revealing -----------------------------------------------------

    async def reveal_due(self, round_id: int) -> RevealSummary | None:
        """Job callback at a round's reveal time. The job fires once, so if the
        reveal fails (the database busy past its timeout, or a bug) it is armed
        again ``retry_reveal_after`` later: a round must never stay unrevealed."""
        try:
            return await self.reveal(round_id)
        except Exception as exc:
            retry_at = self.clock.now() + self.settings.retry_reveal_after
            self.scheduler.set_reveal(round_id, retry_at)
            log.warning(
                "reveal of round %s failed; trying again at %s",
                round_id,
                retry_at.isoformat(timespec="seconds"),
                exc_info=not isinstance(exc, StoreBusy),
            )
            return None

    async def reveal(self, round_id: int) -> RevealSummary | None:
        """Reveal once. A second call (a late job, a double ``/daily reveal``) is a no-op."""
        revealed = await self.store.settle_round(round_id, self.clock.now(), self._settle)
        known = self._open.pop(round_id, None)
        if revealed is None:
            return None
        round_ = revealed
        if round_.message_id is None and known is not None and known.message_id is not None:
            # Posted while the database was too busy to record the message.
            round_ = _with(round_, message_id=known.message_id)
        self.scheduler.remove_reveal(round_id)
        self.telemetry.revealed(round_.channel.platform)
        tally = await self.store.reveal_tally(
            round_id, first_correct=FIRST_CORRECT_SHOWN, streaks=STREAKS_SHOWN
        )
        summary = summarise(round_, tally)
        platform = self.platforms.get(round_.channel.platform)
        if platform is None:
            log.error("round %s revealed but no adapter for %s", round_id, round_.channel.platform)
            return summary
        for step in (platform.close_answering(round_), platform.post_reveal(summary)):
            try:
                await step
            except PostFailed as exc:
                log.warning("reveal of round %s: %s", round_id, exc.reason)
            except Exception:
                # Scored and settled already; a bug in the adapter must not stop
                # the next step.
                log.exception("reveal of round %s: unexpected error from the adapter", round_id)
        return summary

    async def reveal_now(self, channel: ChannelRef) -> RevealSummary:
        """``/daily reveal``: end the channel's open round now."""
        await self._discard_undelivered()
        round_ = await self.store.latest_open_round(channel)
        if round_ is None:
            raise UserError("there is no open round in this channel; start one with /daily now")
        summary = await self.reveal(round_.id)
        if summary is None:  # pragma: no cover - lost a race with the reveal job
            raise UserError("that round was revealed a moment ago")
        return summary

    def _settle(
        self,
        round_: Round,
        answers: Sequence[RecordedAnswer],
        states: dict[int, StreakState],
        round_days: Sequence[date],
    ) -> Settlement:
        question = round_.question
        scored = score_answers(
            answers, question.answer, round_.posted_at, round_.reveals_at, self.settings.scoring
        )
        streaks = {
            s.user_id: advance(states[s.user_id], round_.round_date, round_days, correct=s.correct)
            for s in scored
        }
        if self.reviews is None:
            return Settlement(scored=scored, streaks=streaks)
        # Graded as of the reveal, not the click: a drill of the same question
        # in between must not leave the card with a review dated before it.
        now = self.clock.now()
        reviews = {
            s.user_id: self.reviews.choice_review(
                s.correct,
                (s.answered_at - round_.posted_at).total_seconds(),
                ReviewSource.DAILY,
                now,
            )
            for s in scored
        }
        return Settlement(scored=scored, streaks=streaks, reviews=reviews)

    async def open_round(self, channel: ChannelRef) -> Round | None:
        await self._discard_undelivered()
        return await self.store.latest_open_round(channel)

    async def restore(self, round_: Round) -> None:
        """Start-up: take back an unrevealed round (reveal it now if overdue)."""
        if round_.status is RoundStatus.POSTING:
            # We crashed between claiming and confirming the post. It may be on
            # screen, so it must not be posted again; keep it and reveal it.
            try:
                await self.store.mark_posted(round_.id, round_.message_id)
            except StoreBusy:  # it stays 'posting', which is revealed all the same
                log.warning("could not mark round %s open: the database is busy", round_.id)
            round_ = _with(round_, status=RoundStatus.OPEN)
        if round_.reveal_begun or round_.reveals_at <= self.clock.now():
            # A reveal that a crash interrupted is finished now, even one that
            # ``/daily reveal`` started before the round's reveal time.
            await self.reveal_due(round_.id)
        else:
            self._open[round_.id] = round_
            self.scheduler.set_reveal(round_.id, round_.reveals_at)

    def keep_open_only(self, unrevealed: set[int]) -> None:
        """Forget remembered rounds that are no longer unrevealed: with other
        processes on the store, a round answered here may be revealed there."""
        for round_id in [r for r in self._open if r not in unrevealed]:
            del self._open[round_id]

    def open_count(self) -> int:
        """Rounds this process is waiting to reveal (for the metrics gauge)."""
        return len(self._open)

    async def close(self) -> None:
        await self._answers.close()


def summarise(round_: Round, tally: RevealTally) -> RevealSummary:
    counts = dict.fromkeys(round_.question.letters(), 0)
    counts.update(tally.counts)
    return RevealSummary(
        round=_with(round_, status=RoundStatus.REVEALED),
        counts=counts,
        total=sum(tally.counts.values()),
        correct=tally.correct,
        first_correct=tally.first_correct,
        streaks=tally.streaks,
    )


def _with(round_: Round, **changes: Any) -> Round:
    return replace(round_, **changes)
