"""Leaderboard period keys, including ISO week edge cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.models import Period
from bot.core.periods import (
    ALL_TIME_KEY,
    describe,
    keys_for,
    month_key,
    period_key,
    week_key,
    week_start,
)


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 6, 10), "w2026-W24"),
        (date(2026, 1, 5), "w2026-W02"),
        (date(2026, 1, 1), "w2026-W01"),  # a Thursday: week 1 of its own year
        (date(2026, 12, 31), "w2026-W53"),
        (date(2027, 1, 1), "w2026-W53"),  # belongs to the previous ISO year
        (date(2027, 1, 3), "w2026-W53"),
        (date(2027, 1, 4), "w2027-W01"),
        (date(2024, 12, 30), "w2025-W01"),  # belongs to the next ISO year
        (date(2024, 12, 29), "w2024-W52"),
        (date(2021, 1, 3), "w2020-W53"),
    ],
)
def test_week_key_uses_iso_weeks(day: date, key: str) -> None:
    assert week_key(day) == key


def test_week_key_is_the_same_monday_to_sunday() -> None:
    monday = date(2026, 12, 28)
    keys = {week_key(monday + timedelta(days=i)) for i in range(7)}
    assert keys == {"w2026-W53"}
    assert week_key(monday + timedelta(days=7)) == "w2027-W01"
    assert week_key(monday - timedelta(days=1)) == "w2026-W52"


def test_week_keys_sort_chronologically_within_a_year() -> None:
    assert week_key(date(2026, 3, 2)) < week_key(date(2026, 11, 30))  # zero-padded


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 6, 10), "m2026-06"),
        (date(2026, 12, 31), "m2026-12"),
        (date(2027, 1, 1), "m2027-01"),  # calendar month, unlike the ISO week
        (date(2024, 12, 30), "m2024-12"),
        (date(999, 2, 3), "m0999-02"),
    ],
)
def test_month_key(day: date, key: str) -> None:
    assert month_key(day) == key


def test_keys_for_gives_week_month_and_all_time() -> None:
    assert keys_for(date(2027, 1, 1)) == ("w2026-W53", "m2027-01", ALL_TIME_KEY)
    assert keys_for(date(2024, 12, 30)) == ("w2025-W01", "m2024-12", "all")


def test_period_key_matches_keys_for() -> None:
    day = date(2026, 12, 31)
    assert tuple(period_key(p, day) for p in (Period.WEEK, Period.MONTH, Period.ALL)) == (
        keys_for(day)
    )


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 6, 8), date(2026, 6, 8)),  # Monday itself
        (date(2026, 6, 14), date(2026, 6, 8)),  # Sunday
        (date(2027, 1, 1), date(2026, 12, 28)),  # across a year end
        (date(2026, 3, 1), date(2026, 2, 23)),  # across a month end
    ],
)
def test_week_start_is_the_monday(day: date, monday: date) -> None:
    assert week_start(day) == monday
    assert week_start(day).weekday() == 0
    assert week_key(week_start(day)) == week_key(day)


def test_describe() -> None:
    assert describe(Period.WEEK, date(2027, 1, 1)) == "week of 2026-12-28"
    assert describe(Period.MONTH, date(2026, 12, 31)) == "December 2026"
    assert describe(Period.ALL, date(2026, 12, 31)) == "all time"
