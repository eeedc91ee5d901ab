"""Leaderboards (periods, scopes, ranks, ties), streaks over real round days,
groups and the weekly recap — all through the services on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import NotFound, UserError
from bot.core.models import Period, Scope, UserRef
from tests.helpers import CHANNEL, MONDAY_8AM, OTHER_CHANNEL, Harness, user

NINE = MONDAY_8AM.replace(hour=9)


async def play(
    bot: Harness, answers: dict[str, bool], *, channel=CHANNEL, gap=timedelta(minutes=1)
) -> None:
    """One extra round in ``channel``: each named user answers right or wrong,
    in order, ``gap`` apart; then reveal."""
    round_ = await bot.services.rounds.post_now(channel)
    q = round_.question
    wrong = next(letter for letter in q.letters() if letter != q.answer)
    for name, right in answers.items():
        bot.traveller.shift(gap)
        await bot.services.rounds.answer(round_.id, user(name), q.answer if right else wrong)
    await bot.services.rounds.reveal(round_.id)


async def next_day(bot: Harness, days: int = 1) -> None:
    bot.traveller.move_to(bot.now.replace(hour=9, minute=0) + timedelta(days=days))


def names(board) -> list[tuple[str, int]]:
    return [(r.name, r.points) for r in board.rows]


async def test_ties_go_to_who_got_there_first(bot: Harness) -> None:
    # Same points (answered at the same moment of an equal window) would tie;
    # with a 1-minute gap the earlier answerer also has the bigger bonus, so
    # force a tie by giving both the full window: answer at the post instant.
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("Bob"), round_.question.answer)
    await bot.services.rounds.answer(round_.id, user("Alice"), round_.question.answer)
    await bot.services.rounds.reveal(round_.id)
    board = await bot.services.boards.leaderboard(CHANNEL, user("Alice"))
    assert names(board) == [("Bob", 15), ("Alice", 15)]
    assert board.caller is not None and board.caller.rank == 2


async def test_caller_rank_shown_outside_top_n(tmp_path, traveller) -> None:
    bot = await Harness(tmp_path / "db.sqlite3", traveller, leaderboard_size=2).start()
    try:
        await play(bot, {"A": True, "B": True, "C": True, "D": False})
        board = await bot.services.boards.leaderboard(CHANNEL, user("D"))
        assert [r.name for r in board.rows] == ["A", "B"]
        assert board.caller is not None and (board.caller.name, board.caller.rank) == ("D", 4)
        nobody = await bot.services.boards.leaderboard(CHANNEL, user("Zed"))
        assert nobody.caller is None
    finally:
        await bot.stop()


async def test_periods_follow_local_week_and_month(bot: Harness) -> None:
    # Monday 2026-11-23: this week. Then the next Monday, 2026-11-30: new week,
    # same month. Then Tuesday 2026-12-01: new month, same week.
    await play(bot, {"Alice": True})
    await next_day(bot, 7)
    await play(bot, {"Bob": True})
    await next_day(bot, 1)
    await play(bot, {"Carol": True})
    boards = bot.services.boards
    week = await boards.leaderboard(CHANNEL, user("Alice"), Period.WEEK)
    month = await boards.leaderboard(CHANNEL, user("Alice"), Period.MONTH)
    total = await boards.leaderboard(CHANNEL, user("Alice"), Period.ALL)
    assert {r.name for r in week.rows} == {"Bob", "Carol"}
    assert {r.name for r in month.rows} == {"Carol"}
    assert {r.name for r in total.rows} == {"Alice", "Bob", "Carol"}


async def test_week_boundary_uses_the_schedule_time_zone(bot: Harness) -> None:
    # Sunday 2026-11-29 20:00 UTC is already Monday 05:00 in Tokyo.
    await bot.services.schedules.setup(CHANNEL, at="05:00", timezone="Asia/Tokyo")
    # Paused, so its own 05:00 post does not open a round before ours.
    await bot.services.schedules.set_paused(CHANNEL, True)
    bot.traveller.move_to(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    await play(bot, {"Alice": True})
    week = await bot.services.boards.leaderboard(CHANNEL, user("Alice"), Period.WEEK)
    assert week.period_key == "w2026-W49"
    assert names(week) and week.rows[0].name == "Alice"


async def test_channel_and_server_scopes(bot: Harness) -> None:
    await play(bot, {"Alice": True})
    await play(bot, {"Bob": True, "Alice": False}, channel=OTHER_CHANNEL)
    boards = bot.services.boards
    here = await boards.leaderboard(CHANNEL, user("Alice"), Period.ALL, Scope.CHANNEL)
    there = await boards.leaderboard(OTHER_CHANNEL, user("Alice"), Period.ALL, Scope.CHANNEL)
    server = await boards.leaderboard(CHANNEL, user("Alice"), Period.ALL, Scope.SPACE)
    assert [r.name for r in here.rows] == ["Alice"]
    assert [r.name for r in there.rows] == ["Bob", "Alice"]
    assert [(r.name, r.answered) for r in server.rows] == [("Alice", 2), ("Bob", 1)]


async def test_streak_counts_round_days_not_calendar_days(bot: Harness) -> None:
    await play(bot, {"Alice": True, "Bob": True})
    await next_day(bot, 3)  # no rounds for two days: nobody is punished
    await play(bot, {"Alice": True, "Bob": True})
    await next_day(bot)
    await play(bot, {"Alice": True})  # Bob misses a round day
    await next_day(bot)
    await play(bot, {"Alice": True, "Bob": True})
    boards = bot.services.boards
    alice = await boards.streak(CHANNEL, user("Alice"))
    bob = await boards.streak(CHANNEL, user("Bob"))
    assert (alice.current, alice.best) == (4, 4)
    assert (bob.current, bob.best) == (1, 2)


async def test_missed_day_shows_broken_streak_before_next_answer(bot: Harness) -> None:
    await play(bot, {"Alice": True, "Bob": True})
    await next_day(bot)
    await play(bot, {"Bob": True})
    alice = await bot.services.boards.streak(CHANNEL, user("Alice"))
    assert alice.current == 0 and alice.best == 1
    top = await bot.services.boards.top_streaks(CHANNEL)
    assert [(v.user_name, v.current) for v in top] == [("Bob", 2)]


async def test_freeze_earned_after_seven_days_covers_one_miss(bot: Harness) -> None:
    for day in range(7):
        if day:
            await next_day(bot)
        await play(bot, {"Alice": True, "Bob": True})
    assert (await bot.services.boards.streak(CHANNEL, user("Alice"))).freezes == 1
    await next_day(bot)
    await play(bot, {"Bob": True})  # Alice misses; her freeze covers it
    shown = await bot.services.boards.streak(CHANNEL, user("Alice"))
    assert (shown.current, shown.frozen_days) == (7, 1)
    await next_day(bot)
    await play(bot, {"Alice": True})
    after = await bot.services.boards.streak(CHANNEL, user("Alice"))
    assert (after.current, after.freezes) == (8, 0)


async def test_groups_and_group_leaderboards(bot: Harness) -> None:
    groups, space = bot.services.groups, CHANNEL.space_key
    await groups.create(space, "Tensor Tigers", user("Alice"))
    await groups.join(space, "tensor tigers", user("Bob"))
    await groups.create(space, "Solo", user("Carol"))
    with pytest.raises(UserError, match="already exists"):
        await groups.create(space, "TENSOR tigers", user("Dan"))
    with pytest.raises(UserError, match="already in"):
        await groups.join(space, "Solo", user("Carol"))
    with pytest.raises(NotFound):
        await groups.join(space, "Nope", user("Carol"))
    with pytest.raises(UserError):
        await groups.create(space, "@everyone", user("Dan"))
    await play(bot, {"Alice": True, "Bob": False, "Carol": True}, gap=timedelta(0))

    inside = await bot.services.boards.leaderboard(CHANNEL, user("Bob"), Period.WEEK, Scope.GROUP)
    assert [r.name for r in inside.rows] == ["Alice", "Bob"]
    assert "Tensor Tigers" in inside.title
    ranking = await bot.services.boards.group_ranking(CHANNEL, Period.WEEK)
    # Solo: 15 points / 1 active member beats Tigers: 15 points / 2 active.
    assert [(r.group.name, r.total, r.active_members) for r in ranking] == [
        ("Solo", 15, 1),
        ("Tensor Tigers", 15, 2),
    ]
    await groups.leave(space, "Tensor Tigers", user("Bob"))
    assert [g.name for g in await groups.in_space(space)] == ["Solo", "Tensor Tigers"]
    with pytest.raises(UserError, match="not in a study group"):
        await bot.services.boards.leaderboard(CHANNEL, user("Bob"), Period.WEEK, Scope.GROUP)


async def test_weekly_recap_posts_once_for_active_weeks(bot: Harness) -> None:
    await bot.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC", reveal_after="30m")
    # Week of Monday 2026-11-23: the daily job posts each day; Alice answers twice.
    for day in range(2):
        await bot.move_to(NINE + timedelta(days=day, minutes=1))
        round_ = bot.platform.posted[-1]
        await bot.services.rounds.answer(round_.id, user("Alice"), round_.question.answer)
    await bot.move_to(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    assert len(bot.platform.recaps) == 1
    recap = bot.platform.recaps[0]
    assert recap.week_key == "w2026-W48" and recap.rounds == 7
    assert [r.name for r in recap.leaderboard.rows] == ["Alice"]
    schedule = await bot.services.schedules.get(CHANNEL)
    assert await bot.services.recaps.post_recap(schedule.id) is None  # claimed already


async def test_recap_can_be_turned_off(bot: Harness) -> None:
    await bot.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC")
    await bot.services.schedules.set_recap(CHANNEL, False)
    await bot.move_to(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    assert bot.platform.recaps == []
    assert len(bot.platform.posted) == 7


async def test_reports(bot: Harness) -> None:
    reports = bot.services.reports
    filed = await reports.report(
        CHANNEL, user("Alice"), "EVAL-ONE", "  the key says b but c is right "
    )
    assert (filed.question_id, filed.reason) == ("eval-one", "the key says b but c is right")
    with pytest.raises(NotFound):
        await reports.report(CHANNEL, user("Alice"), "no-such-question", "wrong")
    with pytest.raises(UserError):
        await reports.report(CHANNEL, user("Alice"), "eval-one", "x")
    listed = await reports.open_reports(CHANNEL.space_key)
    assert [(r.question_id, r.reporter) for r in listed] == [("eval-one", "Alice")]
    assert await reports.open_reports(("test", "elsewhere")) == []


async def test_display_name_changes_follow_the_user(bot: Harness) -> None:
    await play(bot, {"Alice": True})
    renamed = UserRef("test", "alice", "Alice B.")
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, renamed, round_.question.answer)
    await bot.services.rounds.reveal(round_.id)
    board = await bot.services.boards.leaderboard(CHANNEL, renamed, Period.ALL)
    assert [r.name for r in board.rows] == ["Alice B."]
