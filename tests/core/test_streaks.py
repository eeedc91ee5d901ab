"""Streak rules: round days, freezes, and the streak as shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.core.models import StreakState
from bot.core.streaks import FREEZE_EVERY, MAX_FREEZES, advance, missed_days, view

MONDAY = date(2026, 6, 1)


def days(start: date, count: int, *, weekdays_only: bool = False) -> list[date]:
    """``count`` consecutive round days from ``start`` (optionally Mon-Fri only)."""
    result: list[date] = []
    day = start
    while len(result) < count:
        if not weekdays_only or day.weekday() < 5:
            result.append(day)
        day += timedelta(days=1)
    return result


def play(
    answered: Sequence[date], round_days: Sequence[date], state: StreakState | None = None
) -> StreakState:
    """Answer (correctly) the round on each of ``answered`` in order."""
    state = state or StreakState()
    for day in answered:
        state = advance(state, day, round_days, correct=True)
    return state


# --------------------------------------------------------------------------- missed_days


def test_missed_days_without_history_is_zero() -> None:
    assert missed_days(None, days(MONDAY, 5), MONDAY + timedelta(days=10)) == 0


@pytest.mark.parametrize(
    ("last", "before", "expected"),
    [
        (date(2026, 6, 1), date(2026, 6, 2), 0),  # next round day: nothing missed
        (date(2026, 6, 1), date(2026, 6, 3), 1),
        (date(2026, 6, 1), date(2026, 6, 5), 3),
        (date(2026, 6, 5), date(2026, 6, 8), 0),  # the weekend had no rounds
        (date(2026, 6, 4), date(2026, 6, 8), 1),  # only Friday was missed
        (date(2026, 6, 5), date(2026, 6, 6), 0),  # ``before`` is not a round day
        (date(2026, 6, 1), date(2026, 6, 1), 0),
        (date(2026, 6, 5), date(2026, 6, 1), 0),  # never negative
    ],
)
def test_missed_days_counts_round_days_strictly_between(
    last: date, before: date, expected: int
) -> None:
    round_days = days(MONDAY, 10, weekdays_only=True)  # Mon 1 June .. Fri 12 June
    assert missed_days(last, round_days, before) == expected


def test_missed_days_ignores_round_days_after_before() -> None:
    round_days = days(MONDAY, 10)
    assert missed_days(MONDAY, round_days, MONDAY + timedelta(days=3)) == 2


# --------------------------------------------------------------------------- advance


def test_first_answer_starts_a_streak() -> None:
    state = advance(StreakState(), MONDAY, [MONDAY], correct=True)
    assert state == StreakState(
        current=1, best=1, last_day=MONDAY, freezes=0, answered=1, correct=1
    )


def test_first_answer_wrong_still_counts_for_the_streak() -> None:
    state = advance(StreakState(), MONDAY, [MONDAY], correct=False)
    assert (state.current, state.answered, state.correct) == (1, 1, 0)


def test_advance_does_not_mutate_the_input() -> None:
    before = StreakState(current=3, best=5, last_day=MONDAY, freezes=1, answered=9, correct=4)
    snapshot = replace(before)
    advance(before, MONDAY + timedelta(days=1), days(MONDAY, 2), correct=True)
    assert before == snapshot


def test_consecutive_round_days_grow_the_streak() -> None:
    round_days = days(MONDAY, 5)
    state = play(round_days, round_days)
    assert state.current == 5
    assert state.best == 5
    assert state.last_day == round_days[-1]


def test_days_without_a_round_do_not_break_the_streak() -> None:
    # Rounds only Monday to Friday: Friday -> Monday is consecutive.
    round_days = days(MONDAY, 10, weekdays_only=True)
    state = play(round_days, round_days)
    assert state.current == 10
    assert state.freezes == 1  # earned on the 7th day; nothing was spent


def test_long_calendar_gap_without_rounds_keeps_the_streak() -> None:
    round_days = [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=30)]
    state = play(round_days, round_days)
    assert state.current == 3


def test_missed_round_day_without_freeze_resets_to_one() -> None:
    round_days = days(MONDAY, 5)
    state = play(round_days[:3], round_days)
    assert state.current == 3 and state.freezes == 0
    state = advance(state, round_days[4], round_days, correct=True)  # skipped day 4
    assert state.current == 1
    assert state.best == 3
    assert state.last_day == round_days[4]


def test_freeze_earned_every_seventh_day_and_capped() -> None:
    round_days = days(MONDAY, 30)
    state = StreakState()
    freezes_by_day: list[int] = []
    for day in round_days:
        state = advance(state, day, round_days, correct=True)
        freezes_by_day.append(state.freezes)
    assert FREEZE_EVERY == 7 and MAX_FREEZES == 2
    assert freezes_by_day[:6] == [0] * 6
    assert freezes_by_day[6] == 1  # day 7
    assert freezes_by_day[7:13] == [1] * 6
    assert freezes_by_day[13] == 2  # day 14
    assert freezes_by_day[20] == 2  # day 21: capped
    assert freezes_by_day[27] == 2  # day 28: capped
    assert max(freezes_by_day) == MAX_FREEZES
    assert state.current == 30


def test_one_freeze_covers_one_missed_day() -> None:
    round_days = days(MONDAY, 10)
    state = play(round_days[:7], round_days)
    assert (state.current, state.freezes) == (7, 1)
    state = advance(state, round_days[8], round_days, correct=True)  # missed day 8
    assert state.current == 8
    assert state.freezes == 0


def test_two_freezes_cover_two_missed_days() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:14], round_days)
    assert (state.current, state.freezes) == (14, 2)
    state = advance(state, round_days[16], round_days, correct=True)  # missed days 15 and 16
    assert state.current == 15
    assert state.freezes == 0
    assert state.best == 15


def test_two_freezes_one_missed_day_leaves_one() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:14], round_days)
    state = advance(state, round_days[15], round_days, correct=True)
    assert (state.current, state.freezes) == (15, 1)


def test_one_freeze_does_not_cover_two_missed_days() -> None:
    round_days = days(MONDAY, 10)
    state = play(round_days[:7], round_days)
    state = advance(state, round_days[9], round_days, correct=True)  # missed days 8 and 9
    assert state.current == 1
    assert state.best == 7


def test_three_missed_days_with_two_freezes_resets() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:14], round_days)
    state = advance(state, round_days[17], round_days, correct=True)  # missed 15, 16, 17
    assert state.current == 1
    assert state.best == 14
    assert state.last_day == round_days[17]
    assert state.freezes == 0  # spent on the first two misses, which could not save it


def test_spent_freeze_is_earned_again_at_the_next_seventh_day() -> None:
    # 7 days (one freeze), miss one, come back (streak 8, freeze spent), go on to 14.
    round_days = days(MONDAY, 20)
    state = play(round_days[:7], round_days)
    state = advance(state, round_days[8], round_days, correct=True)
    assert (state.current, state.freezes) == (8, 0)
    state = play(round_days[9:15], round_days, state)
    assert (state.current, state.freezes) == (14, 1)


def test_best_keeps_the_maximum() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:4], round_days)  # streak 4
    state = play(round_days[5:7], round_days, state)  # missed one -> 1, 2
    assert (state.current, state.best) == (2, 4)
    state = play(round_days[8:14], round_days, state)  # missed one -> 1..6
    assert (state.current, state.best) == (6, 6)


def test_second_answer_same_day_only_counts_answers() -> None:
    round_days = days(MONDAY, 3)
    state = play(round_days[:2], round_days)
    again = advance(state, round_days[1], round_days, correct=False)
    assert (again.current, again.best, again.last_day, again.freezes) == (
        state.current,
        state.best,
        state.last_day,
        state.freezes,
    )
    assert (again.answered, again.correct) == (state.answered + 1, state.correct)


def test_late_answer_for_an_older_day_only_counts_answers() -> None:
    round_days = days(MONDAY, 5)
    state = play(round_days[2:5], round_days)
    older = advance(state, round_days[0], round_days, correct=True)
    assert older.current == state.current
    assert older.last_day == round_days[4]
    assert (older.answered, older.correct) == (4, 4)


def test_accuracy() -> None:
    round_days = days(MONDAY, 4)
    state = StreakState()
    for day, correct in zip(round_days, [True, False, True, True], strict=True):
        state = advance(state, day, round_days, correct=correct)
    assert (state.answered, state.correct) == (4, 3)
    assert state.accuracy == pytest.approx(0.75)
    assert StreakState().accuracy == 0.0


# --------------------------------------------------------------------------- view


def test_view_of_a_user_who_never_answered() -> None:
    shown = view("Ann", StreakState(), days(MONDAY, 5), MONDAY + timedelta(days=4))
    assert (shown.user_name, shown.current, shown.best, shown.freezes) == ("Ann", 0, 0, 0)
    assert shown.accuracy == 0.0


def test_view_after_answering_the_last_round() -> None:
    round_days = days(MONDAY, 5)
    state = play(round_days, round_days)
    shown = view("Ann", state, round_days, round_days[-1])
    assert (shown.current, shown.best, shown.frozen_days) == (5, 5, 0)
    assert (shown.answered, shown.correct) == (5, 5)
    assert shown.accuracy == 1.0


def test_view_todays_open_round_is_not_a_miss() -> None:
    round_days = days(MONDAY, 4)
    state = play(round_days[:3], round_days)
    # Today's round (day 4) is open and not answered yet: the streak still shows.
    shown = view("Ann", state, round_days, round_days[3])
    assert shown.current == 3
    assert shown.frozen_days == 0


def test_view_missed_finished_round_breaks_the_streak() -> None:
    round_days = days(MONDAY, 5)
    state = play(round_days[:3], round_days)
    shown = view("Ann", state, round_days, round_days[4])  # day 4 finished unanswered
    assert shown.current == 0
    assert shown.best == 3
    assert shown.frozen_days == 0
    assert shown.freezes == 0


def test_view_missed_round_is_checked_the_day_after_too() -> None:
    round_days = days(MONDAY, 4)
    state = play(round_days[:3], round_days)
    # The day after the last round, with no round today: day 4 was missed.
    assert view("Ann", state, round_days, round_days[3] + timedelta(days=1)).current == 0


def test_view_days_without_rounds_keep_the_streak() -> None:
    round_days = days(MONDAY, 5, weekdays_only=True)  # Mon..Fri
    state = play(round_days, round_days)
    sunday = round_days[-1] + timedelta(days=2)
    assert view("Ann", state, round_days, sunday).current == 5


def test_view_freezes_cover_missed_days() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:14], round_days)  # 2 freezes
    one_missed = view("Ann", state, round_days, round_days[15])
    assert (one_missed.current, one_missed.freezes, one_missed.frozen_days) == (14, 1, 1)
    two_missed = view("Ann", state, round_days, round_days[16])
    assert (two_missed.current, two_missed.freezes, two_missed.frozen_days) == (14, 0, 2)
    three_missed = view("Ann", state, round_days, round_days[17])
    assert three_missed.current == 0
    assert three_missed.frozen_days == 0
    assert three_missed.best == 14


def test_view_does_not_change_the_state() -> None:
    round_days = days(MONDAY, 20)
    state = play(round_days[:14], round_days)
    view("Ann", state, round_days, round_days[16])
    assert (state.current, state.freezes) == (14, 2)


def test_view_agrees_with_advance() -> None:
    """What view shows today is what advance will continue from when the user answers."""
    round_days = days(MONDAY, 30)
    base = play(round_days[:14], round_days)
    for missed in range(4):
        day = round_days[14 + missed]
        shown = view("Ann", base, round_days, day)
        after = advance(base, day, round_days, correct=True)
        if shown.current:
            assert after.current == shown.current + 1
            assert after.freezes == shown.freezes
        else:
            assert after.current == 1
