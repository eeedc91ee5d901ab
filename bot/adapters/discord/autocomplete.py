"""Autocomplete sources: time zones, topics, question ids and group names.

Discord refuses a choice whose name or value is over 100 characters, and a
value cut to fit would submit something the user never picked, so values that
do not fit whole are left out rather than clipped.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Sequence
from functools import cache

from discord import app_commands

from bot.adapters.discord.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_VALUE

# Separators of a typed list, as the services read it: commas and spaces.
_LIST_SEPARATOR = re.compile(r"[,\s]")


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def fits(value: str) -> bool:
    """Whether ``value`` can be sent whole as both the name and value of a choice."""
    return 0 < len(value) <= min(CHOICE_NAME, CHOICE_VALUE)


def _choices(values: Iterable[str], limit: int) -> list[app_commands.Choice[str]]:
    picked: list[app_commands.Choice[str]] = []
    for value in values:
        if len(picked) >= limit:
            break
        if fits(value):
            picked.append(app_commands.Choice(name=value, value=value))
    return picked


def _ranked(values: Iterable[str], needle: str) -> list[str]:
    """``values`` containing ``needle`` (casefolded): prefix matches first."""
    needle = needle.strip().casefold()
    prefix: list[str] = []
    inside: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded.startswith(needle):
            prefix.append(value)
        elif needle in folded:
            inside.append(value)
    return prefix + inside


def matching(
    values: Iterable[str], current: str, limit: int = AUTOCOMPLETE_CHOICES
) -> list[app_commands.Choice[str]]:
    """Up to ``limit`` choices: prefix matches first, then substring matches.

    A value too long for a choice is skipped, never cut.
    """
    return _choices(_ranked((v for v in values if fits(v)), current), limit)


def list_matching(
    known: Sequence[str], current: str, limit: int = AUTOCOMPLETE_CHOICES
) -> list[app_commands.Choice[str]]:
    """Choices that complete the last item of a comma-separated list of ``known`` values.

    Each choice is the items typed so far plus one more known value, and only
    lists that fit whole in a choice are offered. When none does (the list is
    already too long to extend), the typed list itself is offered if every item
    in it is known and it fits; otherwise nothing is. An earlier item that is not
    known means no list can be both valid and what was typed, so nothing is
    offered then either.
    """
    *typed_done, last = _LIST_SEPARATOR.split(current)
    done = list(dict.fromkeys(t.strip().casefold() for t in typed_done if t.strip()))
    lookup = {k.casefold(): k for k in known}
    if any(item not in lookup for item in done):
        return []
    done = [lookup[item] for item in done]
    head = ",".join(done)
    prefix = f"{head}," if head else ""
    needle = last.strip().casefold()
    candidates = (k for k in known if k not in done and k.casefold().startswith(needle))
    found = _choices((prefix + k for k in candidates), limit)
    if found:
        return found
    if needle and needle not in lookup:
        return []
    whole = list(dict.fromkeys([*done, lookup[needle]] if needle else done))
    return _choices([",".join(whole)], limit) if whole else []
