"""Streak rules.

A streak counts consecutive *round days* of a space (local dates on which the
space had at least one daily round) on which the user answered. Days without a
round never count against anyone, so downtime or a paused schedule is harmless.

Freezes: every 7th day of a streak earns one, up to ``MAX_FREEZES``. When a
user comes back after missing some round days, held freezes are spent one per
missed day; if they cover every missed day the streak goes on, otherwise the
streak restarts at 1 and the freezes are gone (spent on the first misses).

Users who did not answer are not touched when a round is revealed; their
shown streak is worked out when read (``view``), which keeps reveals cheap no
matter how many members a space has.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bot.core.models import StreakState, StreakView

FREEZE_EVERY = 7
MAX_FREEZES = 2


def missed_days(last_day: date | None, round_days: Sequence[date], before: date) -> int:
    """How many of the sorted ``round_days`` fall strictly between ``last_day``
    and ``before``."""
    if last_day is None:
        return 0
    lo = bisect_right(round_days, last_day)
    hi = bisect_right(round_days, before)
    if hi and round_days[hi - 1] == before:
        hi -= 1
    return max(hi - lo, 0)


def advance(
    state: StreakState, day: date, round_days: Sequence[date], *, correct: bool
) -> StreakState:
    """The state after the user answered the round on ``day``.

    ``round_days`` must list (sorted) at least the last ``MAX_FREEZES + 1``
    round days of the space before ``day``.
    """
    new = replace(state, answered=state.answered + 1, correct=state.correct + int(correct))
    if state.last_day is not None and day <= state.last_day:
        return new  # second round the same day, or a late reveal of an older day
    missed = missed_days(state.last_day, round_days, day)
    if state.last_day is None or missed > state.freezes:
        new.current = 1
        new.freezes = 0  # spent on the first missed days, which could not save the streak
    else:
        new.freezes -= missed
        new.current = state.current + 1
    new.last_day = day
    new.best = max(new.best, new.current)
    if new.current % FREEZE_EVERY == 0:
        new.freezes = min(new.freezes + 1, MAX_FREEZES)
    return new


def view(name: str, state: StreakState, round_days: Sequence[date], today: date) -> StreakView:
    """The streak as of ``today``: broken if the user missed more finished round
    days than their freezes cover. A round still open today is not a miss."""
    missed = missed_days(state.last_day, round_days, today)
    broken = missed > state.freezes
    return StreakView(
        user_name=name,
        current=0 if broken else state.current,
        best=state.best,
        freezes=0 if broken else state.freezes - missed,
        answered=state.answered,
        correct=state.correct,
        frozen_days=0 if broken else missed,
    )
