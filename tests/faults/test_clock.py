"""Clock faults: daylight-saving days in several zones, and a system clock that
jumps while the bot runs.

The expected fire time of a day is computed here from first principles, not
with ``timeutil``: it is the first instant at which the local wall clock shows
the requested time or later on that date. For an ordinary day that is the
requested time; inside a spring-forward gap it is the end of the gap; for a
time repeated by fall-back it is the first of the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import AnswerOutcome
from bot.core.timeutil import next_occurrence
from tests.faults.support import FaultHarness
from tests.helpers import CHANNEL, MONDAY_8AM, user

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",  # southern hemisphere: springs forward in October
    "Australia/Lord_Howe",  # a 30-minute shift
    "America/Santiago",  # changes at midnight
    "Asia/Kolkata",  # no daylight saving at all
]
MINUTE = timedelta(minutes=1)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def first_reach(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) when the wall clock in ``tz`` shows ``at`` or
    later on ``day``, found by walking real (UTC) minutes."""
    target = datetime.combine(day, at)
    instant = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    while wall(instant - MINUTE, tz) >= target:
        instant -= MINUTE
    while wall(instant, tz) < target:
        instant += MINUTE
    return instant


def transitions(tz: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of every change in ``year``."""
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(tz).utcoffset()
    while instant.year == year:
        step = instant + timedelta(minutes=30)
        after = step.astimezone(tz).utcoffset()
        if after != offset:
            assert offset is not None and after is not None
            found.append((step, offset, after))
            offset = after
        instant = step
    return found


def dst_cases() -> list[tuple[str, str, datetime, time]]:
    """(zone, kind, transition instant, a wall time inside the gap or repeat)."""
    cases = []
    for name in ZONES:
        tz = ZoneInfo(name)
        changes = transitions(tz, 2026)
        if not changes:  # Kolkata: an ordinary week still has to work
            cases.append((name, "none", datetime(2026, 3, 8, tzinfo=UTC), time(2, 30)))
            continue
        for instant, before, after in changes:
            kind = "gap" if after > before else "repeat"
            low = (instant + min(before, after)).replace(tzinfo=None)
            middle = low + abs(after - before) / 2
            cases.append((name, kind, instant, middle.time()))
    return cases


def test_the_zones_cover_both_kinds_of_change_and_a_half_hour_shift() -> None:
    cases = dst_cases()
    kinds = {(name, kind) for name, kind, _, _ in cases}
    for name in ZONES[:-1]:
        assert {(name, "gap"), (name, "repeat")} <= kinds
    lord_howe = [c for c in cases if c[0] == "Australia/Lord_Howe"]
    assert {c[3].minute for c in lord_howe} == {15, 45}  # inside a 30-minute window


@pytest.mark.parametrize(
    ("zone_name", "kind", "change", "at"),
    dst_cases(),
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_daily_post_through_a_daylight_saving_change_fires_once_a_day(
    bot: FaultHarness, zone_name: str, kind: str, change: datetime, at: time
) -> None:
    tz = ZoneInfo(zone_name)
    start, end = change - timedelta(days=3), change + timedelta(days=3)
    bot.traveller.move_to(start)
    await bot.services.schedules.setup(
        CHANNEL, at=at.strftime("%H:%M"), timezone=zone_name, reveal_after="30m"
    )
    await bot.move_to(end)

    posted = [(r.round_date, r.posted_at) for r in bot.platform.posted]
    first, last = wall(start, tz).date(), wall(end, tz).date()
    expected = [
        (day, first_reach(day, at, tz))
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
        if start < first_reach(day, at, tz) <= end
    ]
    assert posted == expected
    assert len({day for day, _ in posted}) == len(posted) >= 5
    # The wall time is the requested one every day but the day of a gap.
    off_time = [day for day, instant in posted if wall(instant, tz).time() != at]
    assert len(off_time) == (1 if kind == "gap" else 0)
    due = [r.id for r in bot.platform.posted if r.reveals_at <= end]
    assert sorted(s.round.id for s in bot.platform.reveals) == due


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    # Typed times never carry fold=1 (parse_time_of_day makes fold 0).
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0, fold=0)),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    now=st.one_of(
        st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
        # Near a change, where the rules matter.
        st.tuples(
            st.sampled_from([c[2] for c in dst_cases()]),
            st.integers(-3 * 24 * 60, 3 * 24 * 60),
        ).map(lambda pair: pair[0] + timedelta(minutes=pair[1])),
    ),
)
def test_next_occurrence_property(
    zone_name: str, at: time, weekdays: frozenset[int], now: datetime
) -> None:
    tz = ZoneInfo(zone_name)
    fired: list[datetime] = []
    after = now
    for _ in range(3):  # as the scheduler chains it: each fire is the next "after"
        instant = next_occurrence(at, tz, weekdays, after, inclusive=False)
        assert instant is not None
        assert instant > after
        day = wall(instant, tz).date()
        assert day.weekday() in weekdays
        assert instant == first_reach(day, at, tz)
        if wall(instant, tz).time() != at:  # only when the time does not exist that day
            assert wall(datetime.combine(day, at, tzinfo=tz).astimezone(UTC), tz).time() != at
        # Nothing was skipped: every allowed day before it had fired by ``after``.
        earlier = wall(after, tz).date() - timedelta(days=1)
        while earlier < day:
            if earlier.weekday() in weekdays:
                assert first_reach(earlier, at, tz) <= after
            earlier += timedelta(days=1)
        fired.append(instant)
        after = instant
    days = [wall(i, tz).date() for i in fired]
    assert len(set(days)) == len(days), "two fires on one local date"


# ---- the system clock jumps while the bot runs ---------------------------------

NINE = MONDAY_8AM.replace(hour=9)


@pytest.mark.parametrize(
    ("jump", "tuesday_posted_at"),
    [
        (timedelta(hours=24), NINE + timedelta(days=1, minutes=30)),  # 30 min late: in grace
        (timedelta(hours=25), None),  # 90 min late: beyond the 1 h grace, skipped
    ],
    ids=["+24h", "+25h"],
)
async def test_clock_jumping_forward_skips_stale_posts_and_reveals_once(
    bot: FaultHarness, jump: timedelta, tuesday_posted_at: datetime | None
) -> None:
    await bot.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC", reveal_after="2h")
    await bot.move_to(NINE + timedelta(minutes=30))
    (monday,) = bot.platform.posted
    assert bot.platform.reveals == []

    await bot.jump(jump)
    landed = NINE + timedelta(minutes=30) + jump
    # Monday's overdue reveal ran, once, at the moment the clock landed.
    assert [s.round.id for s in bot.platform.reveals] == [monday.id]
    stored = await bot.runtime.store.get_round(monday.id)  # type: ignore[union-attr]
    assert stored is not None and stored.revealed_at == landed
    tuesday = [r for r in bot.platform.posted if r.round_date == NINE.date() + timedelta(days=1)]
    assert [r.posted_at for r in tuesday] == ([tuesday_posted_at] if tuesday_posted_at else [])
    assert bot.watcher is not None
    if tuesday_posted_at is None:
        assert bot.watcher.missed, "the stale daily job should have been reported missed"

    await bot.move_to(NINE + timedelta(days=2, hours=3))
    wednesday = [r for r in bot.platform.posted if r.round_date == NINE.date() + timedelta(days=2)]
    assert [r.posted_at for r in wednesday] == [NINE + timedelta(days=2)]
    dates = [r.round_date for r in bot.platform.posted]
    assert len(dates) == len(set(dates)) == (3 if tuesday_posted_at else 2)
    assert sorted(s.round.id for s in bot.platform.reveals) == sorted(
        r.id for r in bot.platform.posted
    )


@pytest.mark.parametrize("restart", [False, True], ids=["running", "restarted"])
async def test_clock_going_back_an_hour_after_a_post_does_not_post_again(
    bot: FaultHarness, restart: bool
) -> None:
    await bot.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC", reveal_after="30m")
    await bot.move_to(NINE + timedelta(minutes=5))
    (posted,) = bot.platform.posted

    bot.traveller.move_to(NINE - timedelta(minutes=55))  # 08:05 again
    if restart:
        await bot.restart()  # the daily job is rebuilt and is due at 09:00 "again"
    answer = await bot.services.rounds.answer(posted.id, user("Early"), posted.question.answer)
    assert answer.outcome is AnswerOutcome.ACCEPTED
    await bot.move_to(NINE + timedelta(hours=3))
    assert bot.platform.posted == [posted]
    assert [s.round.id for s in bot.platform.reveals] == [posted.id]
    # An answer stamped before the post still gets at most the full bonus.
    assert [s.total for s in bot.platform.reveals] == [1]
    board = await bot.services.boards.leaderboard(CHANNEL, user("Early"))
    assert [row.points for row in board.rows] == [15]
    await bot.move_to(NINE + timedelta(days=1, hours=1))
    assert [r.round_date for r in bot.platform.posted] == [
        NINE.date(),
        NINE.date() + timedelta(days=1),
    ]
