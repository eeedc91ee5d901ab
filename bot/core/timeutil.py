"""Wall-clock rules: parsing times, zones, weekdays and delays, and DST-safe
arithmetic for "the next time it is 09:00 in Europe/Berlin on a weekday".

Kept free of any scheduler so the rules can be tested with plain datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import UserError

MIN_REVEAL = timedelta(minutes=1)
MAX_REVEAL = timedelta(hours=24)
ALL_DAYS: frozenset[int] = frozenset(range(7))
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "daily": ALL_DAYS,
    "everyday": ALL_DAYS,
    "all": ALL_DAYS,
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_TIME_RE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)
_DURATION_RE = re.compile(r"(\d{1,9})\s*([dhms]?)", re.IGNORECASE | re.ASCII)
MAX_DURATION = timedelta(days=366)
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 60}


def parse_time_of_day(text: str) -> time:
    """Accept ``9:30``, ``09:30``, ``21:05``, ``9am``, ``9:30pm``."""
    match = _TIME_RE.match(text)
    if not match:
        raise UserError(f"'{text}' is not a time of day; use HH:MM in 24-hour time, e.g. 09:30")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise UserError(f"'{text}': with am/pm the hour must be 1-12")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserError(f"'{text}' is not a time of day; hours are 0-23 and minutes 0-59")
    return time(hour, minute)


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA zone such as ``Europe/Berlin``; offsets like ``+02:00`` are refused
    because they do not follow daylight-saving changes."""
    cleaned = name.strip()
    if cleaned.upper() in {"UTC", "Z", "GMT"}:
        cleaned = "UTC"
    if cleaned not in known_timezones():
        hint = ""
        lowered = cleaned.lower()
        close = sorted(z for z in known_timezones() if lowered and lowered in z.lower())[:3]
        if close:
            hint = f" Did you mean {', '.join(close)}?"
        raise UserError(
            f"'{name}' is not an IANA time zone; use a name like Europe/Berlin, "
            f"America/New_York or UTC.{hint}"
        )
    try:
        return zone(cleaned)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed but unreadable
        raise UserError(f"time zone '{name}' could not be loaded") from exc


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_weekdays(text: str) -> frozenset[int]:
    """Accept ``daily``, ``weekdays``, ``weekends``, ``mon,wed,fri`` or ``mon-fri``."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise UserError("no days given; use daily, weekdays, weekends or e.g. mon,wed,fri")
    if cleaned in _DAY_ALIASES:
        return _DAY_ALIASES[cleaned]
    days: set[int] = set()
    for part in cleaned.split(","):
        if "-" in part:
            start_text, _, end_text = part.partition("-")
            start, end = _day_index(start_text, text), _day_index(end_text, text)
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
            days.update(span)
        else:
            days.add(_day_index(part, text))
    return frozenset(days)


def _day_index(part: str, whole: str) -> int:
    key = part[:3]
    if len(part) < 3 or key not in DAY_NAMES or not _is_day_prefix(part):
        raise UserError(
            f"'{whole}' is not a list of days; use daily, weekdays, weekends, "
            "or day names like mon,wed,fri or mon-fri"
        )
    return DAY_NAMES.index(key)


def _is_day_prefix(part: str) -> bool:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return any(name.startswith(part) for name in full)


def format_weekdays(days: Iterable[int]) -> str:
    chosen = frozenset(days)
    for alias in ("daily", "weekdays", "weekends"):
        if chosen == _DAY_ALIASES[alias]:
            return alias
    return ",".join(DAY_NAMES[d] for d in sorted(chosen))


def parse_duration(text: str) -> timedelta:
    """Accept ``30m``, ``2h``, ``1h30m``, ``90s`` or a bare number of minutes."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or _DURATION_RE.sub("", cleaned):
        raise UserError(f"'{text}' is not a duration; use e.g. 30m, 2h, 1h30m (1 minute to 24h)")
    seconds = sum(int(n) * _DURATION_UNITS[u.lower()] for n, u in _DURATION_RE.findall(cleaned))
    if seconds > MAX_DURATION.total_seconds():
        raise UserError(f"'{text}' is too long; durations go up to {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def check_reveal_delay(delay: timedelta) -> timedelta:
    if not MIN_REVEAL <= delay <= MAX_REVEAL:
        raise UserError(
            f"the reveal delay must be between 1 minute and 24 hours, not {format_duration(delay)}"
        )
    return delay


def format_duration(delay: timedelta) -> str:
    total = int(delay.total_seconds())
    if total < 0:
        return "-" + format_duration(-delay)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{seconds}s" if seconds or total == 0 else "")
    return "".join(parts)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in ``tz`` shows ``at`` on ``day``.

    On a spring-forward day a wall time inside the gap does not exist: we move
    to the first minute that does (the end of the gap). On a fall-back day a
    wall time that happens twice is taken at its first occurrence, so a daily
    job fires once.
    """
    wall = datetime.combine(day, at)
    for _ in range(24 * 60):
        candidate = wall.replace(tzinfo=tz, fold=0)
        as_utc = candidate.astimezone(UTC)
        if as_utc.astimezone(tz).replace(tzinfo=None) == wall:
            return as_utc
        wall = (wall + timedelta(minutes=1)).replace(second=0, microsecond=0)
    raise ValueError(f"no valid wall time near {day} {at} in {tz}")  # pragma: no cover


def next_occurrence(
    at: time, tz: ZoneInfo, weekdays: frozenset[int], after: datetime, *, inclusive: bool
) -> datetime | None:
    """The first instant (UTC) at or after ``after`` (strictly after unless
    ``inclusive``) when it is ``at`` in ``tz`` on one of ``weekdays``."""
    if not weekdays:
        return None
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(9):
        day = start + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        instant = local_instant(day, at, tz)
        if instant > after or (inclusive and instant == after):
            return instant
    return None  # pragma: no cover - a non-empty weekday set always matches within 9 days


def previous_occurrence(
    at: time, tz: ZoneInfo, weekdays: frozenset[int], before: datetime
) -> datetime | None:
    """The last instant (UTC) at or before ``before`` matching the same rule."""
    if not weekdays:
        return None
    start = before.astimezone(tz).date() + timedelta(days=1)
    for offset in range(9):
        day = start - timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        instant = local_instant(day, at, tz)
        if instant <= before:
            return instant
    return None  # pragma: no cover


def local_date(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(zone(tz_name)).date()
