"""A daily round end to end: schedule, post, answers, reveal, scores, streaks,
restarts. Real SQLite file, real APScheduler, clock under test control."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.core.models import AnswerOutcome, Period, RoundKind, RoundStatus, Scope
from bot.core.ports import PostFailed
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
