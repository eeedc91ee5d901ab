"""The typed-text grammar of studybot's commands, shared by every adapter that
reads a command as one line of words: the terminal (``/drill ensembles hard 5``,
``/review 10``) and Slack's ``/studybot drill ensembles hard 5``.

Discord parses its own options, so it never comes here. The parsers only split
words into named arguments; the services check the values themselves (a time
zone, a topic, a count), so every adapter refuses bad input with the same words.
A malformed line raises :class:`UserError` with the usage of that command.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.models import Period, Scope

DIFFICULTY_WORDS = frozenset({"easy", "medium", "hard", "any"})
DAILY_SUBCOMMANDS = (
    "setup",
    "show",
    "pause",
    "resume",
    "remove",
    "now",
    "reveal",
    "recap",
    "reports",
)
GROUP_SUBCOMMANDS = ("create", "join", "leave", "list", "mine", "leaderboard")
SETUP_OPTIONS = {
    "reveal": "reveal_after",
    "reveal_after": "reveal_after",
    "days": "days",
    "topics": "topics",
    "difficulty": "difficulty",
    "timezone": "timezone",
    "tz": "timezone",
}

USAGE = {
    "daily": "usage: /daily setup|show|pause|resume|remove|now|reveal|recap|reports",
    "setup": "usage: /daily setup TIME [TIMEZONE] [reveal=30m] [days=weekdays] "
    "[topics=a,b] [difficulty=easy]",
    "recap": "usage: /daily recap on|off",
    "drill": "usage: /drill [TOPIC] [easy|medium|hard] [COUNT]",
    "review": "usage: /review [COUNT] (1 to 50 cards), or /review stop",
    "leaderboard": "usage: /leaderboard [week|month|all] [server|channel|group|groups] [GROUP]",
    "group": "usage: /group create|join|leave NAME, /group list, /group mine, "
    "/group leaderboard [week|month|all]",
    "report": "usage: /report QUESTION-ID REASON (the id is shown under each question)",
    "remind": "usage: /remind on [HH:MM] [TIMEZONE], /remind off, or /remind to see yours",
}


def split_words(line: str) -> list[str]:
    """Words as a shell would split them, so ``"Tensor Tigers"`` stays one word."""
    try:
        return shlex.split(line)
    except ValueError:
        raise UserError("unbalanced quotes; close the quote and try again") from None


@dataclass(frozen=True, slots=True)
class DrillArgs:
    topic: str | None = None
    difficulty: str | None = None
    count: str | None = None


def parse_drill(args: Sequence[str]) -> DrillArgs:
    """``[TOPIC] [easy|medium|hard|any] [COUNT]`` in any order."""
    topic = difficulty = count = None
    for arg in args:
        word = arg.lower()
        if word.isdigit() and count is None:
            count = word
        elif word in DIFFICULTY_WORDS and difficulty is None:
            difficulty = word
        elif topic is None and not word.isdigit():
            topic = word
        else:
            raise UserError(USAGE["drill"])
    return DrillArgs(topic, difficulty, count)


@dataclass(frozen=True, slots=True)
class ReviewArgs:
    count: str | None = None
    stop: bool = False
    """Leave the current session (the terminal's ``/review stop``)."""


def parse_review(args: Sequence[str]) -> ReviewArgs:
    """``[COUNT]`` or ``stop``; the service checks the count's range."""
    if not args:
        return ReviewArgs()
    if len(args) == 1 and args[0].lower() == "stop":
        return ReviewArgs(stop=True)
    if len(args) == 1 and args[0].isdigit():
        return ReviewArgs(count=args[0])
    raise UserError(USAGE["review"])


REVIEW_SHOW_WORDS = frozenset({"show", "s"})
"""Typed to turn a flashcard over (an empty line does the same in the terminal)."""
REVIEW_GRADE_WORDS = frozenset({"again", "hard", "good", "easy", "1", "2", "3", "4"})
"""Typed to grade a flashcard; ``Grade.parse`` reads them."""


@dataclass(frozen=True, slots=True)
class SetupArgs:
    at: str
    timezone: str | None = None
    reveal_after: str | None = None
    days: str | None = None
    topics: str | None = None
    difficulty: str | None = None


def parse_setup(args: Sequence[str]) -> SetupArgs:
    """``TIME [TIMEZONE] [key=value ...]``; keys may use ``-`` or ``_``."""
    positional = [a for a in args if "=" not in a]
    options: dict[str, str] = {}
    unknown: list[str] = []
    for arg in args:
        if "=" not in arg:
            continue
        key, _, value = arg.partition("=")
        name = SETUP_OPTIONS.get(key.lower().replace("-", "_"))
        if name is None:
            unknown.append(key)
        else:
            options[name] = value
    if unknown:
        raise UserError(
            f"unknown option {', '.join(sorted(unknown))}; use reveal=, days=, topics=, "
            "difficulty= or timezone="
        )
    if not positional or len(positional) > 2:
        raise UserError(USAGE["setup"])
    return SetupArgs(
        at=positional[0],
        timezone=positional[1] if len(positional) > 1 else options.get("timezone"),
        reveal_after=options.get("reveal_after"),
        days=options.get("days"),
        topics=options.get("topics"),
        difficulty=options.get("difficulty"),
    )


def parse_switch(args: Sequence[str], usage: str) -> bool:
    """``on`` or ``off``."""
    if len(args) != 1 or args[0].lower() not in {"on", "off"}:
        raise UserError(usage)
    return args[0].lower() == "on"


@dataclass(frozen=True, slots=True)
class RemindArgs:
    action: str
    """``on``, ``off`` or ``show`` (no words: what is set now)."""
    at: str | None = None
    timezone: str | None = None


def parse_remind(args: Sequence[str]) -> RemindArgs:
    """``on [TIME] [ZONE]`` (either order: a word starting with a digit is the
    time, as in ``daily setup``), ``off``, or nothing to show the reminder."""
    if not args:
        return RemindArgs("show")
    action, rest = args[0].lower(), list(args[1:])
    if action == "off" and not rest:
        return RemindArgs("off")
    if action != "on" or len(rest) > 2:
        raise UserError(USAGE["remind"])
    times = [w for w in rest if w[:1].isdigit()]
    zones = [w for w in rest if not w[:1].isdigit()]
    if len(times) > 1 or len(zones) > 1:
        raise UserError(USAGE["remind"])
    return RemindArgs("on", times[0] if times else None, zones[0] if zones else None)


@dataclass(frozen=True, slots=True)
class LeaderboardArgs:
    period: Period = Period.WEEK
    scope: Scope = Scope.SPACE
    group: str | None = None
    groups: bool = False
    """Rank the study groups against each other instead of people."""


def parse_leaderboard(args: Sequence[str]) -> LeaderboardArgs:
    period, scope, groups = Period.WEEK, Scope.SPACE, False
    rest: list[str] = []
    for arg in args:
        word = arg.lower()
        if word in {p.value for p in Period}:
            period = Period(word)
        elif word in {"server", "space", "workspace"}:
            scope = Scope.SPACE
        elif word == "channel":
            scope = Scope.CHANNEL
        elif word == "group":
            scope = Scope.GROUP
        elif word == "groups":
            groups = True
        else:
            rest.append(arg)
    if rest and scope is not Scope.GROUP:
        raise UserError(
            f"'{' '.join(rest)}' is not a period or scope; use week|month|all and "
            "server|channel|group (or groups)"
        )
    return LeaderboardArgs(period, scope, " ".join(rest) or None, groups)


@dataclass(frozen=True, slots=True)
class GroupArgs:
    action: str
    name: str = ""
    period: Period = Period.WEEK


def parse_group(args: Sequence[str]) -> GroupArgs:
    if not args:
        raise UserError(USAGE["group"])
    action, rest = args[0].lower(), list(args[1:])
    if action not in GROUP_SUBCOMMANDS:
        raise UserError(
            f"unknown /group subcommand '{args[0]}'; use {', '.join(GROUP_SUBCOMMANDS)}"
        )
    if action == "leaderboard":
        return GroupArgs(action, period=parse_leaderboard(rest).period if rest else Period.WEEK)
    name = " ".join(rest).strip()
    if action in {"create", "join", "leave"} and not name:
        raise UserError(f"usage: /group {action} NAME")
    return GroupArgs(action, name)


def parse_report(args: Sequence[str]) -> tuple[str, str]:
    """``QUESTION-ID REASON...``: the id and the reason as one text."""
    if len(args) < 2:
        raise UserError(USAGE["report"])
    return args[0], " ".join(args[1:])


def parse_daily(args: Sequence[str]) -> tuple[str, list[str]]:
    """The ``/daily`` subcommand and its own arguments."""
    if not args:
        raise UserError(USAGE["daily"])
    sub = args[0].lower()
    if sub not in DAILY_SUBCOMMANDS:
        raise UserError(
            f"unknown /daily subcommand '{args[0]}'; use {', '.join(DAILY_SUBCOMMANDS)}"
        )
    return sub, list(args[1:])
