"""Leaderboard periods.

A point belongs to the week and month of its round's *local* date (in the
schedule's time zone), so a team in Tokyo and one in New York each get weeks
that start on their own Monday.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.models import Period

ALL_TIME_KEY = "all"


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"w{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"m{day.year:04d}-{day.month:02d}"


def period_key(period: Period, day: date) -> str:
    if period is Period.WEEK:
        return week_key(day)
    if period is Period.MONTH:
        return month_key(day)
    return ALL_TIME_KEY


def keys_for(day: date) -> tuple[str, str, str]:
    """Every period a point scored for a round on ``day`` counts towards."""
    return week_key(day), month_key(day), ALL_TIME_KEY


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def describe(period: Period, day: date) -> str:
    if period is Period.WEEK:
        start = week_start(day)
        return f"week of {start.isoformat()}"
    if period is Period.MONTH:
        return day.strftime("%B %Y")
    return "all time"
