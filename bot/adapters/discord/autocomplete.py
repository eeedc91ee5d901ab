"""Autocomplete sources: time zones, topics, question ids and group names."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from functools import cache

from discord import app_commands

from bot.adapters.discord.limits import AUTOCOMPLETE_CHOICES, clip


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def matching(
    values: Iterable[str], current: str, limit: int = AUTOCOMPLETE_CHOICES
) -> list[app_commands.Choice[str]]:
    """Up to ``limit`` choices: prefix matches first, then substring matches."""
    needle = current.strip().casefold()
    prefix: list[str] = []
    inside: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded.startswith(needle):
            prefix.append(value)
        elif needle in folded:
            inside.append(value)
        if len(prefix) >= limit:
            break
    picked = (prefix + inside)[:limit]
    # Choice names and values are each limited to 100 characters.
    return [app_commands.Choice(name=clip(v, 100), value=v[:100]) for v in picked]
