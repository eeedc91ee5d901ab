"""Reading "how many" arguments, shared by drills and reviews."""

from __future__ import annotations

from bot.core.errors import UserError


def parse_count(
    value: int | str | None, *, default: int, most: int, noun: str, session: str
) -> int:
    """``value`` as a count from 1 to ``most``; empty means ``default``.

    A bad value is a :class:`UserError` that names the range, e.g. "a drill has
    1 to 20 questions", so the adapter can show it as it is.
    """
    if value is None or value == "":
        return default
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise UserError(f"'{value}' is not a number; ask for 1 to {most} {noun}") from None
    if not 1 <= count <= most:
        raise UserError(f"{session} has 1 to {most} {noun}; you asked for {count}")
    return count
