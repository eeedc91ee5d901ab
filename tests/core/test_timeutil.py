"""Wall-clock rules: parsers, and DST-safe arithmetic with real IANA zones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.timeutil import (
    ALL_DAYS,
    MAX_DURATION,
    check_reveal_delay,
    format_duration,
    format_weekdays,
    local_date,
    local_instant,
    next_occurrence,
    parse_duration,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
    previous_occurrence,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
WEEKDAYS = frozenset(range(5))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --------------------------------------------------------------------------- parse_time_of_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("21:05", time(21, 5)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("7", time(7, 0)),
        ("9am", time(9, 0)),
        ("9 AM", time(9, 0)),
        ("9:30pm", time(21, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:15am", time(0, 15)),
        ("  08:05  ", time(8, 5)),
    ],
)
def test_parse_time_of_day_accepts(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["not a time of day", "HH:MM"]),
        ("noon", ["not a time of day", "HH:MM"]),
        ("9.30", ["not a time of day", "HH:MM"]),
        ("9:5", ["not a time of day", "HH:MM"]),
        ("123:00", ["not a time of day", "HH:MM"]),
        ("24:00", ["hours are 0-23", "minutes 0-59"]),
        ("9:60", ["hours are 0-23", "minutes 0-59"]),
        ("13pm", ["am/pm", "1-12"]),
        ("0am", ["am/pm", "1-12"]),
    ],
)
def test_parse_time_of_day_refuses(text: str, words: list[str]) -> None:
    with pytest.raises(UserError) as info:
        parse_time_of_day(text)
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------- parse_timezone


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  America/New_York ", "America/New_York"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Z", "UTC"),
        ("gmt", "UTC"),
    ],
)
def test_parse_timezone_accepts_iana_names(text: str, key: str) -> None:
    tz = parse_timezone(text)
    assert isinstance(tz, ZoneInfo)
    assert tz.key == key


@pytest.mark.parametrize("text", ["+02:00", "UTC+2", "CEST-ish", "Mars/Olympus_Mons", "", "   "])
def test_parse_timezone_refuses_offsets_and_unknown_names(text: str) -> None:
    with pytest.raises(UserError) as info:
        parse_timezone(text)
    message = str(info.value)
    assert "not an IANA time zone" in message
    assert "Europe/Berlin" in message


def test_parse_timezone_suggests_close_names() -> None:
    with pytest.raises(UserError) as info:
        parse_timezone("berlin")
    assert "Did you mean Europe/Berlin" in str(info.value)


# --------------------------------------------------------------------------- weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", frozenset(range(7))),
        ("Everyday", frozenset(range(7))),
        ("all", frozenset(range(7))),
        ("weekdays", frozenset({0, 1, 2, 3, 4})),
        ("WEEKENDS", frozenset({5, 6})),
        ("mon,wed,fri", frozenset({0, 2, 4})),
        ("mon, wed , fri", frozenset({0, 2, 4})),
        ("monday,Tuesday", frozenset({0, 1})),
        ("thurs", frozenset({3})),
        ("mon-fri", frozenset({0, 1, 2, 3, 4})),
        ("fri-mon", frozenset({4, 5, 6, 0})),
        ("sun-sun", frozenset({6})),
        ("mon-tue,sat", frozenset({0, 1, 5})),
    ],
)
def test_parse_weekdays_accepts(text: str, expected: frozenset[int]) -> None:
    assert parse_weekdays(text) == expected


@pytest.mark.parametrize(
    "text", ["mo", "funday", "mon,", "mon-", "-fri", "mon-tue-wed", "weds", "mondays", "1,2"]
)
def test_parse_weekdays_refuses(text: str) -> None:
    with pytest.raises(UserError) as info:
        parse_weekdays(text)
    message = str(info.value)
    assert "not a list of days" in message
    assert "mon,wed,fri" in message and "weekdays" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_weekdays_refuses_empty(text: str) -> None:
    with pytest.raises(UserError, match="no days given"):
        parse_weekdays(text)


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (range(7), "daily"),
        (range(5), "weekdays"),
        ({5, 6}, "weekends"),
        ({4, 0, 2}, "mon,wed,fri"),
        ({6}, "sun"),
        (set(), ""),
    ],
)
def test_format_weekdays(days: set[int] | range, text: str) -> None:
    assert format_weekdays(days) == text


@given(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
@settings(database=None)
def test_format_then_parse_weekdays_round_trips(days: frozenset[int]) -> None:
    assert parse_weekdays(format_weekdays(days)) == days


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("45", timedelta(minutes=45)),
        ("1d", timedelta(days=1)),
        ("2H", timedelta(hours=2)),
        ("0", timedelta(0)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "abc", "1.5h", "-5m", "h", "30mm", "5 minutes", "1w"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(UserError) as info:
        parse_duration(text)
    message = str(info.value)
    assert "not a duration" in message
    assert "30m" in message and "1h30m" in message


def test_parse_duration_long_s_is_a_user_error() -> None:
    with pytest.raises(UserError):
        parse_duration("5ſ")


@pytest.mark.parametrize("text", ["1111111111d", "99999999999999999999m"])
def test_parse_duration_huge_number_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError):
        parse_duration(text)


_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.sampled_from(list(_UNIT_SECONDS))),
        min_size=1,
        max_size=4,
    ),
    st.none() | st.integers(min_value=0, max_value=10_000),
    st.booleans(),
)
@settings(database=None)
def test_parse_duration_sums_its_parts(
    parts: list[tuple[int, str]], bare_minutes: int | None, upper: bool
) -> None:
    text = " ".join(f"{n}{unit.upper() if upper else unit}" for n, unit in parts)
    expected = sum(n * _UNIT_SECONDS[unit] for n, unit in parts)
    if bare_minutes is not None:  # a trailing number without a unit counts as minutes
        text += str(bare_minutes)
        expected += bare_minutes * 60
    if expected > MAX_DURATION.total_seconds():
        with pytest.raises(UserError, match="too long"):
            parse_duration(text)
        return
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize(
    "delay", [timedelta(minutes=1), timedelta(minutes=30), timedelta(hours=24)]
)
def test_check_reveal_delay_accepts_range(delay: timedelta) -> None:
    assert check_reveal_delay(delay) == delay


@pytest.mark.parametrize(
    ("delay", "shown"),
    [
        (timedelta(seconds=59), "59s"),
        (timedelta(0), "0s"),
        (timedelta(hours=24, seconds=1), "24h1s"),
        (timedelta(days=2), "48h"),
    ],
)
def test_check_reveal_delay_refuses_out_of_range(delay: timedelta, shown: str) -> None:
    with pytest.raises(UserError) as info:
        check_reveal_delay(delay)
    message = str(info.value)
    assert "between 1 minute and 24 hours" in message
    assert message.endswith(f"not {shown}")


@pytest.mark.parametrize(
    ("delay", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(days=1, minutes=1), "24h1m"),
    ],
)
def test_format_duration(delay: timedelta, text: str) -> None:
    assert format_duration(delay) == text


@given(st.integers(min_value=0, max_value=10 * 86400))
@settings(database=None)
def test_format_duration_round_trips_through_parse(seconds: int) -> None:
    delay = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delay)) == delay


# --------------------------------------------------------------------------- robustness


PARSERS: dict[str, Callable[[str], Any]] = {
    "time": parse_time_of_day,
    "timezone": parse_timezone,
    "weekdays": parse_weekdays,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(text=st.text(max_size=40))
@settings(database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parsers_only_raise_user_error(name: str, text: str) -> None:
    try:
        result = PARSERS[name](text)
    except UserError as exc:
        assert str(exc)  # the message tells the user what is allowed
    else:
        assert result is not None


@given(
    text=st.text(alphabet=st.sampled_from("0123456789dhms hmDHMS:.-xyz"), max_size=9)
    | st.text(max_size=40)
)
@example(text="5ſ")
@example(text="1111111111d")
@settings(database=None, deadline=None)
def test_parse_duration_only_raises_user_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except UserError as exc:
        assert "not a duration" in str(exc) or "too long" in str(exc)
    else:
        assert isinstance(result, timedelta)


# --------------------------------------------------------------------------- local_instant


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        # No change that day.
        (NEW_YORK, date(2026, 1, 15), time(9, 0), utc(2026, 1, 15, 14, 0)),
        (NEW_YORK, date(2026, 7, 15), time(9, 0), utc(2026, 7, 15, 13, 0)),
        (KOLKATA, date(2026, 3, 8), time(9, 0), utc(2026, 3, 8, 3, 30)),
        (KOLKATA, date(2026, 1, 1), time(0, 15), utc(2025, 12, 31, 18, 45)),
        # Spring forward: wall times in the gap move to the end of the gap.
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 59), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
        (NEW_YORK, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(9, 0), utc(2026, 3, 8, 13, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        (SYDNEY, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        (LORD_HOWE, date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
        # Fall back: ambiguous wall times take their first occurrence.
        (NEW_YORK, date(2026, 11, 1), time(1, 0), utc(2026, 11, 1, 5, 0)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0)),
        (NEW_YORK, date(2026, 11, 1), time(9, 0), utc(2026, 11, 1, 14, 0)),
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (SYDNEY, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_local_instant(tz: ZoneInfo, day: date, at: time, expected: datetime) -> None:
    result = local_instant(day, at, tz)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


# --------------------------------------------------------------------------- next_occurrence


def test_next_occurrence_later_the_same_day() -> None:
    after = utc(2026, 6, 10, 6, 0)  # 08:00 in Berlin
    assert next_occurrence(time(9, 0), BERLIN, ALL_DAYS, after, inclusive=False) == utc(
        2026, 6, 10, 7, 0
    )


def test_next_occurrence_inclusive_semantics() -> None:
    at_nine = utc(2026, 6, 10, 7, 0)  # exactly 09:00 in Berlin
    assert next_occurrence(time(9, 0), BERLIN, ALL_DAYS, at_nine, inclusive=True) == at_nine
    assert next_occurrence(time(9, 0), BERLIN, ALL_DAYS, at_nine, inclusive=False) == utc(
        2026, 6, 11, 7, 0
    )
    just_after = at_nine + timedelta(microseconds=1)
    assert next_occurrence(time(9, 0), BERLIN, ALL_DAYS, just_after, inclusive=True) == utc(
        2026, 6, 11, 7, 0
    )


def test_next_occurrence_uses_the_local_date_not_the_utc_date() -> None:
    # 23:00 UTC on Friday is already Saturday 04:30 in Kolkata.
    friday_late = utc(2026, 6, 12, 23, 0)
    assert friday_late.weekday() == 4
    result = next_occurrence(time(9, 0), KOLKATA, ALL_DAYS, friday_late, inclusive=False)
    assert result == utc(2026, 6, 13, 3, 30)  # Saturday 09:00 IST
    weekday_result = next_occurrence(time(9, 0), KOLKATA, WEEKDAYS, friday_late, inclusive=False)
    assert weekday_result == utc(2026, 6, 15, 3, 30)  # Monday 09:00 IST


def test_next_occurrence_skips_days_not_in_the_filter() -> None:
    friday_afternoon = utc(2026, 6, 12, 18, 0)  # 14:00 EDT
    result = next_occurrence(time(9, 0), NEW_YORK, WEEKDAYS, friday_afternoon, inclusive=False)
    assert result == utc(2026, 6, 15, 13, 0)  # Monday 09:00 EDT
    only_wednesday = frozenset({2})
    result = next_occurrence(
        time(9, 0), NEW_YORK, only_wednesday, friday_afternoon, inclusive=False
    )
    assert result == utc(2026, 6, 17, 13, 0)


def test_next_occurrence_a_full_week_ahead() -> None:
    # Wednesday 10:00 local, asking for Wednesdays at 09:00: next week.
    wednesday_ten = utc(2026, 6, 17, 14, 0)
    result = next_occurrence(time(9, 0), NEW_YORK, frozenset({2}), wednesday_ten, inclusive=False)
    assert result == utc(2026, 6, 24, 13, 0)


def test_next_occurrence_with_no_days_is_none() -> None:
    assert next_occurrence(time(9, 0), BERLIN, frozenset(), utc(2026, 1, 1), inclusive=True) is None


def test_next_occurrence_across_spring_forward_gap() -> None:
    at = time(2, 30)
    day_before = utc(2026, 3, 7, 12, 0)
    first = next_occurrence(at, NEW_YORK, ALL_DAYS, day_before, inclusive=False)
    assert first == utc(2026, 3, 8, 7, 0)  # 03:00 EDT, the end of the gap
    assert first is not None
    second = next_occurrence(at, NEW_YORK, ALL_DAYS, first, inclusive=False)
    assert second == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


def test_next_occurrence_fires_once_on_fall_back_day() -> None:
    at = time(1, 30)
    first = next_occurrence(at, NEW_YORK, ALL_DAYS, utc(2026, 10, 31, 12, 0), inclusive=False)
    assert first == utc(2026, 11, 1, 5, 30)  # first 01:30 (EDT)
    assert first is not None
    second = next_occurrence(at, NEW_YORK, ALL_DAYS, first, inclusive=False)
    assert second == utc(2026, 11, 2, 6, 30)  # next day, 01:30 EST - not the repeated hour
    # Asked during the repeated hour (01:15 EST, after the first 01:30): next day.
    during_repeat = utc(2026, 11, 1, 6, 15)
    assert next_occurrence(at, NEW_YORK, ALL_DAYS, during_repeat, inclusive=False) == second


ZONES_AND_STARTS = [
    (NEW_YORK, utc(2026, 2, 20)),
    (NEW_YORK, utc(2026, 10, 10)),
    (BERLIN, utc(2026, 3, 1)),
    (BERLIN, utc(2026, 10, 1)),
    (SYDNEY, utc(2026, 3, 10)),
    (SYDNEY, utc(2026, 9, 10)),
    (LORD_HOWE, utc(2026, 3, 10)),
    (LORD_HOWE, utc(2026, 9, 10)),
    (KOLKATA, utc(2026, 3, 1)),
]
TIMES = [time(0, 0), time(1, 30), time(2, 0), time(2, 30), time(3, 0), time(9, 0), time(23, 59)]


@pytest.mark.parametrize(("tz", "start"), ZONES_AND_STARTS, ids=str)
@pytest.mark.parametrize("at", TIMES, ids=str)
@pytest.mark.parametrize("weekdays", [ALL_DAYS, WEEKDAYS, frozenset({6})], ids=format_weekdays)
def test_chained_next_occurrence_fires_once_per_matching_local_day(
    tz: ZoneInfo, start: datetime, at: time, weekdays: frozenset[int]
) -> None:
    days = 60
    end = start + timedelta(days=days)
    fired: list[datetime] = []
    current = start
    while True:
        result = next_occurrence(at, tz, weekdays, current, inclusive=False)
        assert result is not None and result > current
        if result >= end:
            break
        fired.append(result)
        current = result

    local_days = [instant.astimezone(tz).date() for instant in fired]
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    expected_days = [
        first_day + timedelta(days=i)
        for i in range((last_day - first_day).days + 1)
        if (first_day + timedelta(days=i)).weekday() in weekdays
    ]
    # Boundary days count only if their instant is inside [start, end).
    expected_days = [d for d in expected_days if start < local_instant(d, at, tz) < end]
    assert local_days == expected_days
    assert len(set(local_days)) == len(local_days)
    for instant, day in zip(fired, local_days, strict=True):
        assert instant == local_instant(day, at, tz)
        wall = instant.astimezone(tz)
        # Either exactly the asked wall time, or the end of a spring-forward gap just after it.
        asked = datetime.combine(day, at)
        shown = wall.replace(tzinfo=None)
        assert asked <= shown <= asked + timedelta(hours=1)


# --------------------------------------------------------------------------- previous_occurrence


def test_previous_occurrence_is_latest_at_or_before() -> None:
    nine = utc(2026, 6, 10, 7, 0)  # 09:00 Berlin
    assert previous_occurrence(time(9, 0), BERLIN, ALL_DAYS, nine) == nine
    assert previous_occurrence(
        time(9, 0), BERLIN, ALL_DAYS, nine - timedelta(microseconds=1)
    ) == utc(2026, 6, 9, 7, 0)
    assert previous_occurrence(time(9, 0), BERLIN, ALL_DAYS, utc(2026, 6, 10, 20, 0)) == nine


def test_previous_occurrence_respects_weekdays_and_local_date() -> None:
    monday_early = utc(2026, 6, 15, 2, 0)  # Monday 07:30 IST
    assert previous_occurrence(time(9, 0), KOLKATA, WEEKDAYS, monday_early) == utc(
        2026, 6, 12, 3, 30
    )  # Friday 09:00 IST
    assert previous_occurrence(time(9, 0), KOLKATA, frozenset(), monday_early) is None


def test_previous_occurrence_around_dst() -> None:
    # After the spring-forward gap the day's 02:30 job happened at 03:00 EDT.
    assert previous_occurrence(time(2, 30), NEW_YORK, ALL_DAYS, utc(2026, 3, 8, 12, 0)) == utc(
        2026, 3, 8, 7, 0
    )
    # During the repeated hour on fall-back day, 01:30 already happened (first occurrence).
    assert previous_occurrence(time(1, 30), NEW_YORK, ALL_DAYS, utc(2026, 11, 1, 6, 15)) == utc(
        2026, 11, 1, 5, 30
    )


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from([NEW_YORK, BERLIN, SYDNEY, KOLKATA, LORD_HOWE]),
    st.sampled_from(TIMES),
    st.sampled_from([ALL_DAYS, WEEKDAYS, frozenset({0, 3})]),
)
@settings(database=None, deadline=None)
def test_previous_and_next_bracket_any_instant(
    instant: datetime, tz: ZoneInfo, at: time, weekdays: frozenset[int]
) -> None:
    before = previous_occurrence(at, tz, weekdays, instant)
    after = next_occurrence(at, tz, weekdays, instant, inclusive=False)
    assert before is not None and after is not None
    assert before <= instant < after
    # Nothing matches strictly between them.
    assert next_occurrence(at, tz, weekdays, before, inclusive=False) == after
    assert next_occurrence(at, tz, weekdays, instant, inclusive=True) in (instant, after)


# --------------------------------------------------------------------------- local_date


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (utc(2026, 6, 12, 23, 0), "Asia/Kolkata", date(2026, 6, 13)),
        (utc(2026, 6, 12, 23, 0), "UTC", date(2026, 6, 12)),
        (utc(2026, 6, 13, 3, 0), "America/New_York", date(2026, 6, 12)),
        (utc(2026, 11, 1, 5, 30), "America/New_York", date(2026, 11, 1)),
        (utc(2026, 4, 4, 15, 30), "Australia/Sydney", date(2026, 4, 5)),
    ],
)
def test_local_date(instant: datetime, tz: str, expected: date) -> None:
    assert local_date(instant, tz) == expected
