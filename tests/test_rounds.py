"""A daily round end to end: schedule, post, answers, reveal, scores, streaks,
restarts. Real SQLite file, real APScheduler, clock under test control."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.core.errors import StoreBusy, UserError
from bot.core.models import AnswerOutcome, Period, RoundKind, RoundStatus, Scope
from bot.core.ports import PostFailed
from bot.core.rounds import DATABASE_BUSY, UNEXPECTED_POST_ERROR
from tests.helpers import CHANNEL, MONDAY_8AM, OTHER_CHANNEL, Harness, user

NINE = MONDAY_8AM.replace(hour=9)


async def setup_daily(bot: Harness, at: str = "09:00", **kw: str) -> None:
    await bot.services.schedules.setup(
        CHANNEL, at=at, timezone=kw.pop("tz", "UTC"), reveal_after=kw.pop("reveal", "30m"), **kw
    )


async def test_full_round(bot: Harness) -> None:
    await setup_daily(bot)
    await bot.move_to(NINE)
    assert len(bot.platform.posted) == 1
    round_ = bot.platform.posted[0]
    assert round_.reveals_at == NINE + timedelta(minutes=30)
    assert round_.kind is RoundKind.SCHEDULED
    correct = round_.question.answer
    wrong = next(letter for letter in round_.question.letters() if letter != correct)
    rounds = bot.services.rounds

    await bot.advance(timedelta(minutes=1))
    first = await rounds.answer(round_.id, user("Alice"), correct.upper())
    assert first.outcome is AnswerOutcome.ACCEPTED and first.choice == correct
    again = await rounds.answer(round_.id, user("Alice"), wrong)
    assert again.outcome is AnswerOutcome.ALREADY_ANSWERED and again.choice == correct
    await bot.advance(timedelta(minutes=14))
    assert (await rounds.answer(round_.id, user("Bob"), wrong)).outcome is AnswerOutcome.ACCEPTED
    invalid = await rounds.answer(round_.id, user("Carol"), "z")
    assert invalid.outcome is AnswerOutcome.INVALID_CHOICE and invalid.allowed == "abcd"
    unknown = await rounds.answer(9999, user("Carol"), "a")
    assert unknown.outcome is AnswerOutcome.UNKNOWN_ROUND

    await bot.move_to(NINE + timedelta(minutes=30))
    assert len(bot.platform.reveals) == 1
    summary = bot.platform.reveals[0]
    assert summary.total == 2 and summary.correct == 1
    assert summary.counts[correct] == 1 and summary.counts[wrong] == 1
    assert summary.share_correct == 0.5
    assert summary.first_correct == ("Alice",)
    assert bot.platform.closed == [round_.id]
    late = await rounds.answer(round_.id, user("Carol"), correct)
    assert late.outcome is AnswerOutcome.CLOSED

    board = await bot.services.boards.leaderboard(CHANNEL, user("Bob"), Period.WEEK, Scope.SPACE)
    # 10 points plus an early bonus of 5 * (29/30), rounded.
    assert [(r.name, r.points) for r in board.rows] == [("Alice", 15), ("Bob", 0)]
    assert board.caller is not None and board.caller.rank == 2
    streak = await bot.services.boards.streak(CHANNEL, user("Alice"))
    assert (streak.current, streak.best, streak.correct, streak.answered) == (1, 1, 1, 1)


async def test_answers_refused_at_reveal_time_even_before_the_job_runs(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    bot.traveller.move_to(round_.reveals_at)  # the reveal job has not run yet
    result = await bot.services.rounds.answer(round_.id, user("Alice"), "a")
    assert result.outcome is AnswerOutcome.CLOSED


async def test_reveal_happens_once(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("Alice"), round_.question.answer)
    results = await asyncio.gather(*(bot.services.rounds.reveal(round_.id) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    await bot.advance(timedelta(hours=2))  # the reveal job must not fire again
    assert len(bot.platform.reveals) == 1
    board = await bot.services.boards.leaderboard(CHANNEL, user("Alice"))
    assert board.rows[0].answered == 1


async def test_post_now_refuses_while_a_round_is_open(bot: Harness) -> None:
    await bot.services.rounds.post_now(CHANNEL)
    with pytest.raises(UserError, match="already open"):
        await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.reveal_now(CHANNEL)
    with pytest.raises(UserError, match="no open round"):
        await bot.services.rounds.reveal_now(CHANNEL)


async def test_restart_with_overdue_round_reveals_exactly_once(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("Alice"), round_.question.answer)
    await bot.restart(at=round_.reveals_at + timedelta(hours=3))
    assert [s.round.id for s in bot.platform.reveals] == [round_.id]
    await bot.restart()
    await bot.advance(timedelta(days=1))
    assert len(bot.platform.reveals) == 1
    stored = await bot.runtime.store.get_round(round_.id)  # type: ignore[union-attr]
    assert stored is not None and stored.status is RoundStatus.REVEALED


async def test_restart_before_reveal_rebuilds_the_reveal_job(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.restart(at=MONDAY_8AM + timedelta(minutes=10))
    assert bot.platform.reveals == []
    # A click after the restart still counts: the round id is all it needs.
    result = await bot.services.rounds.answer(round_.id, user("Dana"), "a")
    assert result.outcome is AnswerOutcome.ACCEPTED
    await bot.move_to(round_.reveals_at)
    assert len(bot.platform.reveals) == 1 and bot.platform.reveals[0].total == 1


async def test_crash_mid_post_never_posts_the_date_twice(bot: Harness) -> None:
    await setup_daily(bot)
    schedule = await bot.services.schedules.get(CHANNEL)
    store = bot.runtime.store  # type: ignore[union-attr]
    # The claim was committed, then the process died before confirming the post.
    claimed = await store.claim_round(
        CHANNEL,
        kind=RoundKind.SCHEDULED,
        round_date=date(2026, 11, 23),
        timezone="UTC",
        question=bot.bank.filter()[0],
        posted_at=NINE,
        reveals_at=NINE + timedelta(minutes=30),
        schedule_id=schedule.id,
    )
    assert claimed is not None
    await bot.restart(at=NINE + timedelta(minutes=5))
    assert bot.platform.posted == []  # within the grace window, yet not posted again
    assert await bot.services.rounds.post_scheduled(schedule.id) is None
    await bot.advance(timedelta(minutes=30))
    assert [s.round.id for s in bot.platform.reveals] == [claimed.id]


async def test_scheduled_post_is_idempotent_per_date(bot: Harness) -> None:
    await setup_daily(bot)
    schedule = await bot.services.schedules.get(CHANNEL)
    bot.traveller.move_to(NINE)
    results = await asyncio.gather(
        *(bot.services.rounds.post_scheduled(schedule.id) for _ in range(3))
    )
    assert sum(r is not None for r in results) == 1
    assert len(bot.platform.posted) == 1


@pytest.mark.parametrize(
    ("down_until", "posted"), [(timedelta(minutes=40), 1), (timedelta(minutes=61), 0)]
)
async def test_missed_post_is_made_late_only_within_grace(
    bot: Harness, down_until: timedelta, posted: int
) -> None:
    await setup_daily(bot)
    await bot.stop()
    await bot.restart(at=NINE + down_until)
    assert len(bot.platform.posted) == posted
    await bot.advance(timedelta(hours=3))
    assert len(bot.platform.posted) == posted  # and no second post that day


async def test_paused_schedule_does_not_post(bot: Harness) -> None:
    await setup_daily(bot)
    await bot.services.schedules.set_paused(CHANNEL, True)
    await bot.move_to(NINE + timedelta(days=2, hours=2))
    assert bot.platform.posted == []
    await bot.services.schedules.set_paused(CHANNEL, False)
    await bot.move_to(NINE + timedelta(days=3))
    assert len(bot.platform.posted) == 1


async def test_permanent_post_failure_marks_schedule_and_recovers(bot: Harness) -> None:
    await setup_daily(bot)
    bot.platform.fail_posts = PostFailed("missing permission: Send Messages", permanent=True)
    await bot.move_to(NINE)
    schedule = await bot.services.schedules.get(CHANNEL)
    assert schedule.failing == "missing permission: Send Messages"
    assert await bot.runtime.store.latest_open_round(CHANNEL) is None  # type: ignore[union-attr]
    bot.platform.fail_posts = None
    await bot.move_to(NINE + timedelta(days=1))
    assert len(bot.platform.posted) == 1
    assert (await bot.services.schedules.get(CHANNEL)).failing is None


async def test_channel_sees_every_question_before_a_repeat(bot: Harness) -> None:
    seen = []
    for _ in range(5):  # the small bank has 5 choice questions
        round_ = await bot.services.rounds.post_now(CHANNEL)
        seen.append(round_.question.id)
        await bot.services.rounds.reveal_now(CHANNEL)
    assert len(set(seen)) == 5
    assert "ens-open" not in seen  # open questions are for drills, not buttons


async def test_schedule_filters_pick_matching_questions(bot: Harness) -> None:
    await setup_daily(bot, topics="ensembles", difficulty="hard")
    await bot.move_to(NINE)
    assert [r.question.id for r in bot.platform.posted] == ["ens-two"]


async def test_concurrent_answers_share_commits(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    users = [user(f"user{i}") for i in range(600)]
    results = await asyncio.gather(
        *(bot.services.rounds.answer(round_.id, u, "abcd"[i % 4]) for i, u in enumerate(users))
    )
    assert all(r.outcome is AnswerOutcome.ACCEPTED for r in results)
    committer = bot.services.rounds._answers
    assert committer.batches < 20
    assert await bot.runtime.store.round_answer_count(round_.id) == 600  # type: ignore[union-attr]
    summary = await bot.services.rounds.reveal(round_.id)
    assert summary is not None and summary.total == 600
    assert sum(summary.counts.values()) == 600


async def test_daylight_saving_spring_forward_posts_at_first_valid_minute(bot: Harness) -> None:
    bot.traveller.move_to(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    await setup_daily(bot, at="02:30", tz="America/New_York")
    job = bot.runtime.scheduler.get_job(f"post:{(await bot.services.schedules.get(CHANNEL)).id}")  # type: ignore[union-attr]
    # 02:30 does not exist on 2026-03-08 in New York; 03:00 EDT is 07:00 UTC.
    assert job.next_run_time == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    await bot.move_to(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert [r.posted_at for r in bot.platform.posted] == [
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 6, 30, tzinfo=UTC),  # 02:30 EDT
    ]
    assert [r.round_date for r in bot.platform.posted] == [date(2026, 3, 8), date(2026, 3, 9)]


async def test_daylight_saving_fall_back_posts_once(bot: Harness) -> None:
    bot.traveller.move_to(datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    await setup_daily(bot, at="01:30", tz="America/New_York")
    await bot.move_to(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    # 01:30 happens twice on 2026-11-01 (EDT then EST); only the first counts.
    assert [r.posted_at for r in bot.platform.posted] == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


async def test_transient_post_failure_is_retried_within_grace(bot: Harness) -> None:
    await setup_daily(bot)
    bot.platform.fail_posts = PostFailed("timed out", permanent=False)
    await bot.move_to(NINE)
    assert (await bot.services.schedules.get(CHANNEL)).failing == "timed out"
    await bot.move_to(NINE + timedelta(minutes=5))  # first retry fails too
    bot.platform.fail_posts = None
    await bot.move_to(NINE + timedelta(minutes=10))  # second retry succeeds
    assert len(bot.platform.posted) == 1
    assert bot.platform.posted[0].posted_at == NINE + timedelta(minutes=10)
    assert (await bot.services.schedules.get(CHANNEL)).failing is None


async def test_transient_failures_stop_retrying_after_grace(bot: Harness) -> None:
    await setup_daily(bot)
    bot.platform.fail_posts = PostFailed("timed out", permanent=False)
    await bot.move_to(NINE + timedelta(hours=3))
    bot.platform.fail_posts = None
    await bot.move_to(NINE + timedelta(hours=5))
    assert bot.platform.posted == []
    jobs = [job.id for job in bot.runtime.scheduler.get_jobs()]  # type: ignore[union-attr]
    assert not any(job.startswith("retry:") for job in jobs)


async def test_simultaneous_post_now_makes_one_round(bot: Harness) -> None:
    results = await asyncio.gather(
        *(bot.services.rounds.post_now(CHANNEL) for _ in range(3)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, UserError) for r in results if isinstance(r, Exception))
    assert len(bot.platform.posted) == 1


async def test_a_disabled_schedule_stops_posting_and_says_why(bot: Harness) -> None:
    await setup_daily(bot)
    schedules = bot.services.schedules
    disabled = await schedules.disable(CHANNEL, "the channel was deleted")
    assert disabled is not None and disabled.paused
    assert await schedules.disable(CHANNEL, "the channel was deleted") is None
    await bot.move_to(NINE)
    assert bot.platform.posted == []
    shown = await schedules.get(CHANNEL)
    assert shown.failing == "the channel was deleted"
    resumed = await schedules.set_paused(CHANNEL, False)
    assert resumed.failing is None and not resumed.paused
    await bot.move_to(NINE + timedelta(days=1))
    # Resumed inside the grace window, today's post is still made, then tomorrow's.
    assert [r.round_date for r in bot.platform.posted] == [
        NINE.date(),
        NINE.date() + timedelta(days=1),
    ]


async def test_removing_the_bot_from_a_space_disables_every_schedule_there(bot: Harness) -> None:
    await setup_daily(bot)
    await bot.services.schedules.setup(OTHER_CHANNEL, at="10:00", timezone="UTC")
    disabled = await bot.services.schedules.disable_space(CHANNEL.space_key, "bot removed")
    expected = {c for c in (CHANNEL, OTHER_CHANNEL) if c.space_key == CHANNEL.space_key}
    assert {s.channel for s in disabled} == expected
    await bot.move_to(NINE + timedelta(hours=2))
    assert all(r.channel != CHANNEL for r in bot.platform.posted)


# ---- failures that must not lose or strand a round -------------------------------


def once(fail: BaseException, real: Any) -> Any:
    """A store method that raises ``fail`` on its first call, then works."""
    calls = 0

    async def wrapper(*args: Any, **kw: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise fail
        return await real(*args, **kw)

    return wrapper


def job_times(bot: Harness, prefix: str) -> dict[str, datetime]:
    assert bot.runtime is not None
    return {
        job.id: job.next_run_time
        for job in bot.runtime.scheduler.get_jobs()
        if job.id.startswith(prefix)
    }


async def test_an_adapter_bug_while_posting_drops_the_claim_and_retries(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_daily(bot)
    bot.platform.fail_posts = RuntimeError("bug in the adapter")  # type: ignore[assignment]
    await bot.move_to(NINE)
    assert bot.runtime is not None
    assert await bot.runtime.store.unrevealed_rounds() == []  # nothing left in 'posting'
    schedule = await bot.services.schedules.get(CHANNEL)
    assert schedule.failing == UNEXPECTED_POST_ERROR
    assert job_times(bot, "retry:") == {f"retry:{schedule.id}": NINE + timedelta(minutes=5)}
    logged = [r for r in caplog.records if r.exc_info and "unexpectedly" in r.getMessage()]
    assert logged and "bug in the adapter" in caplog.text  # with its traceback
    bot.platform.fail_posts = None
    await bot.move_to(NINE + timedelta(minutes=5))
    assert [r.posted_at for r in bot.platform.posted] == [NINE + timedelta(minutes=5)]
    assert (await bot.services.schedules.get(CHANNEL)).failing is None
    await bot.move_to(NINE + timedelta(hours=1))
    assert [s.round.id for s in bot.platform.reveals] == [bot.platform.posted[0].id]


async def test_an_adapter_bug_on_daily_now_gives_a_clear_error_and_no_stuck_round(
    bot: Harness,
) -> None:
    bot.platform.fail_posts = RuntimeError("bug in the adapter")  # type: ignore[assignment]
    with pytest.raises(UserError) as failed:
        await bot.services.rounds.post_now(CHANNEL)
    assert str(failed.value) == f"could not post the question: {UNEXPECTED_POST_ERROR}"
    assert "bug in the adapter" not in str(failed.value)
    assert await bot.services.rounds.open_round(CHANNEL) is None
    bot.platform.fail_posts = None
    round_ = await bot.services.rounds.post_now(CHANNEL)  # not "a round is already open"
    assert round_.status is RoundStatus.OPEN


@pytest.mark.parametrize("fail", [StoreBusy(), RuntimeError("bug while settling")])
async def test_a_reveal_job_that_fails_is_tried_again(bot: Harness, fail: Exception) -> None:
    assert bot.runtime is not None
    store = bot.runtime.store
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("Ann"), round_.question.answer)
    store.settle_round = once(fail, store.settle_round)  # type: ignore[method-assign]
    await bot.move_to(round_.reveals_at)
    assert bot.platform.reveals == []
    retry_at = round_.reveals_at + timedelta(seconds=30)
    assert job_times(bot, "reveal:") == {f"reveal:{round_.id}": retry_at}
    await bot.move_to(retry_at)
    assert [(s.round.id, s.total) for s in bot.platform.reveals] == [(round_.id, 1)]
    assert job_times(bot, "reveal:") == {}
    stored = await store.get_round(round_.id)
    assert stored is not None and stored.revealed_at == retry_at


async def test_an_overdue_reveal_at_start_up_on_a_busy_database_is_tried_again(
    bot: Harness,
) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)

    async def busy_first(runtime: Any) -> None:
        runtime.store.settle_round = once(StoreBusy(), runtime.store.settle_round)

    bot.before_start.append(busy_first)
    later = round_.reveals_at + timedelta(hours=2)
    await bot.restart(at=later)  # start-up must not fail
    assert bot.platform.reveals == []
    await bot.move_to(later + timedelta(seconds=30))
    assert [s.round.id for s in bot.platform.reveals] == [round_.id]


async def test_a_scheduled_post_refused_by_a_busy_database_is_retried(bot: Harness) -> None:
    assert bot.runtime is not None
    store = bot.runtime.store
    await setup_daily(bot)
    store.claim_round = once(StoreBusy(), store.claim_round)  # type: ignore[method-assign]
    await bot.move_to(NINE)
    assert bot.platform.posted == []
    schedule = await bot.services.schedules.get(CHANNEL)
    assert schedule.failing == DATABASE_BUSY
    assert job_times(bot, "retry:") == {f"retry:{schedule.id}": NINE + timedelta(minutes=5)}
    await bot.move_to(NINE + timedelta(minutes=5))
    assert [(r.posted_at, r.round_date) for r in bot.platform.posted] == [
        (NINE + timedelta(minutes=5), NINE.date())
    ]
    assert (await bot.services.schedules.get(CHANNEL)).failing is None


async def test_a_claim_the_busy_database_would_not_drop_is_dropped_before_the_retry(
    bot: Harness,
) -> None:
    assert bot.runtime is not None
    store = bot.runtime.store
    await setup_daily(bot)
    bot.platform.fail_posts = PostFailed("timed out", permanent=False)
    store.discard_round = once(StoreBusy(), store.discard_round)  # type: ignore[method-assign]
    store.set_schedule_failing = once(StoreBusy(), store.set_schedule_failing)  # type: ignore[method-assign]
    await bot.move_to(NINE)
    # The claim is still there (the database said no), but the retry is armed
    # even though recording the reason failed too.
    (stuck,) = await store.unrevealed_rounds()
    assert stuck.status is RoundStatus.POSTING
    schedule = await bot.services.schedules.get(CHANNEL)
    assert job_times(bot, "retry:") == {f"retry:{schedule.id}": NINE + timedelta(minutes=5)}
    bot.platform.fail_posts = None
    await bot.move_to(NINE + timedelta(minutes=5))
    (posted,) = bot.platform.posted
    assert (posted.round_date, posted.posted_at) == (NINE.date(), NINE + timedelta(minutes=5))
    # The stuck claim is gone (SQLite may reuse its id): one round, the posted one.
    (left,) = await store.unrevealed_rounds()
    assert (left.id, left.status, left.posted_at) == (
        posted.id,
        RoundStatus.OPEN,
        NINE + timedelta(minutes=5),
    )
    assert (await bot.services.schedules.get(CHANNEL)).failing is None


async def test_a_post_the_busy_database_could_not_record_is_still_revealed(
    bot: Harness,
) -> None:
    assert bot.runtime is not None
    store = bot.runtime.store
    store.mark_posted = once(StoreBusy(), store.mark_posted)  # type: ignore[method-assign]
    round_ = await bot.services.rounds.post_now(CHANNEL)  # on screen: a success
    assert round_.status is RoundStatus.OPEN and round_.message_id == f"msg-{round_.id}"
    stored = await store.get_round(round_.id)
    assert stored is not None and stored.status is RoundStatus.POSTING
    accepted = await bot.services.rounds.answer(round_.id, user("Ann"), "a")
    assert accepted.outcome is AnswerOutcome.ACCEPTED
    await bot.move_to(round_.reveals_at)
    (summary,) = bot.platform.reveals
    assert (summary.round.id, summary.total) == (round_.id, 1)
    assert summary.round.message_id == f"msg-{round_.id}"  # so the adapter can close it
    assert await store.unrevealed_rounds() == []
