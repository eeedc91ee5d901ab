"""Every slash command fed hostile arguments: a clear refusal or a safe result.

Hypothesis generates times, time zones, counts, topics, group names, reasons
and display names full of markdown, mentions, zero-width and bidi characters
and line breaks. Whatever comes in, each reply must be private, must not be
the "Something went wrong" answer to an unhandled exception, must not ping
anyone (no bare @everyone/@here, no live user or role mention, and every
request sent with mentions switched off), and a refusal must say what is
allowed.

One DiscordWorld serves all examples of a test (a fresh one per example would
cost more than the checks). Examples stay independent: group names carry a
per-example prefix, and nothing asserted depends on what earlier examples did.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.ids import channel_ref, space_key
from bot.adapters.discord.replies import UNEXPECTED
from bot.core.community import clean_group_name
from bot.core.errors import UserError
from bot.core.models import UserRef
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID, LOCKED_CHANNEL_ID, Call
from tests.discord_adapter.world import (
    DEFERRED,
    EVERYONE,
    MANAGER,
    DiscordWorld,
    custom_ids,
    is_ephemeral,
    text_of,
)

fuzz = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HERE = channel_ref(GUILD_ID, CHANNEL_ID)
ALICE, BOB = 960_000_000_000_000_031, 960_000_000_000_000_032
_unique = itertools.count(1)

HOSTILE = [
    "**x**",
    "`",
    "```",
    "||spoiler||",
    "_u_",
    "~~s~~",
    "> quote",
    "# title",
    "[link](https://example.com)",
    "@everyone",
    "@here",
    "<@123>",
    "<@!960000000000000031>",
    "<@&5>",
    "<@&940000000000000001>",
    "<#1>",
    "\\",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\U0001f389",
    "٠٩:٣٠",
    "25:00",
    "09:60",
    "9",
    "09:30",
    "Mars/Base",
    "../etc/passwd",
    "Europe/Berlin",
    "UTC",
    "-5",
    "99999999999999999999",
    "evaluation",
    "ensembles",
    "eval-one",
    ",",
    " ",
]


def hostile(limit: int) -> st.SearchStrategy[str]:
    """Text of at most ``limit`` characters, the most Discord lets through for the option."""
    pieces = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=6), max_size=6)
    return pieces.map(lambda parts: "".join(parts)[:limit])


PING = re.compile(r"@(everyone|here)")
# A user or role mention that no backslash escapes (an even run of them escapes nothing).
LIVE_MENTION = re.compile(r"(?<!\\)(?:\\\\)*<@[!&]?\d+>")


def message_bodies(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """Every message the bot sent or answered with: content, embeds, allowed_mentions."""
    bodies = []
    for call in calls:
        payload = call.payload
        if not isinstance(payload, dict):
            continue
        body = payload.get("data") if isinstance(payload.get("type"), int) else payload
        if isinstance(body, dict) and (body.get("content") or body.get("embeds")):
            bodies.append(body)
    return bodies


def assert_pings_nobody(bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        text = text_of({"data": body})
        assert not PING.search(text), text
        assert not LIVE_MENTION.search(text), text
        mentions = body.get("allowed_mentions")
        assert mentions is not None, f"sent without allowed_mentions: {body}"
        assert mentions.get("parse") == [], mentions
        assert not mentions.get("users") and not mentions.get("roles"), mentions
        assert not mentions.get("replied_user"), mentions


async def run(world: DiscordWorld, path: str, **options: Any) -> str:
    """Run a command; check the universal properties; return the reply's text."""
    start = len(world.fake.calls)
    responses = await world.command(path, **options)
    answers = [r for r in responses if r.get("type") != DEFERRED]
    assert answers, f"/{path} was never answered"
    for response in responses:
        assert is_ephemeral(response), f"/{path} answered publicly: {response}"
    text = "\n".join(text_of(r) for r in answers)
    assert UNEXPECTED not in text, f"/{path} {options} raised an unhandled exception"
    assert_pings_nobody(message_bodies(world.fake.calls[start:]))
    return text


def assert_refusal_explains(text: str, hints: Iterable[str]) -> None:
    assert any(hint in text for hint in hints), f"refusal without a hint: {text!r}"


# --- /daily ------------------------------------------------------------------------------------

TIMES = st.sampled_from(["09:30", "9", "9am", "21:05", "0:00", "23:59"]) | hostile(10)
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "utc"]) | hostile(64)
DELAYS = st.none() | st.sampled_from(["30m", "1h", "1h30m", "90s", "24h"]) | hostile(20)
DAYS = st.none() | st.sampled_from(["weekdays", "daily", "mon,wed,fri", "fri-mon"]) | hostile(60)
TOPICS = st.none() | st.sampled_from(["evaluation", "ensembles,evaluation", "all"]) | hostile(300)
LEVELS = st.none() | st.sampled_from(["any", "easy", "medium", "hard"])
SETUP_HINTS = (
    "HH:MM",
    "hours are 0-23",
    "hour must be 1-12",
    "is not an IANA time zone",
    "use daily, weekdays, weekends",
    "e.g. 30m, 2h",
    "between 1 minute and 24 hours",
    "durations go up to",
    "known topics:",
)


@fuzz
@given(at=TIMES, zone=ZONES, delay=DELAYS, days=DAYS, topics=TOPICS, level=LEVELS)
async def test_daily_setup_refuses_clearly_or_schedules(
    world: DiscordWorld,
    at: str,
    zone: str,
    delay: str | None,
    days: str | None,
    topics: str | None,
    level: str | None,
) -> None:
    given_options = {"reveal_after": delay, "days": days, "topics": topics, "difficulty": level}
    options = {k: v for k, v in given_options.items() if v is not None}
    text = await run(
        world,
        "daily setup",
        permissions=MANAGER,
        channel=CHANNEL_ID,
        time_of_day=at,
        timezone=zone,
        **options,
    )
    if text.startswith("Daily question scheduled"):
        schedule = await world.harness.services.schedules.get(HERE)
        assert schedule.timezone in text and f"{schedule.post_time:%H:%M}" in text
    else:
        assert_refusal_explains(text, SETUP_HINTS)


DAILY_STEPS = st.tuples(
    st.sampled_from(["show", "pause", "resume", "remove", "now", "reveal", "recap", "reports"]),
    st.sampled_from([None, CHANNEL_ID, LOCKED_CHANNEL_ID]),
    st.booleans(),
)


@settings(fuzz, max_examples=15)
@given(steps=st.lists(DAILY_STEPS, min_size=1, max_size=6), manager=st.booleans())
async def test_daily_subcommands_in_any_order_never_break(
    world: DiscordWorld, steps: list[tuple[str, int | None, bool]], manager: bool
) -> None:
    for sub, channel, flag in steps:
        options: dict[str, Any] = (
            {} if channel is None or sub == "reports" else {"channel": channel}
        )
        if sub == "recap":
            options["enabled"] = flag
        text = await run(
            world, f"daily {sub}", permissions=MANAGER if manager else EVERYONE, **options
        )
        if not manager:
            assert "Manage Server" in text


# --- everyone's commands -----------------------------------------------------------------------

CHOICE_OR_JUNK = {
    "period": st.none() | st.sampled_from(["week", "month", "all"]) | hostile(20),
    "scope": st.none() | st.sampled_from(["server", "channel", "group"]) | hostile(20),
}
LEADERBOARD_HINTS = (
    "pick one from the list",
    "there is no group called",
    "you are not in a study group",
    "you are in several groups",
)


@fuzz
@given(
    period=CHOICE_OR_JUNK["period"],
    scope=CHOICE_OR_JUNK["scope"],
    group=st.none() | hostile(40),
    display=hostile(32),
)
async def test_leaderboard_streak_and_stats_with_hostile_options_and_names(
    world: DiscordWorld, period: str | None, scope: str | None, group: str | None, display: str
) -> None:
    given_options = {"period": period, "scope": scope, "group": group}
    options = {k: v for k, v in given_options.items() if v is not None}
    me = {"user_id": ALICE, "display": display or "x"}
    text = await run(world, "leaderboard", **me, **options)
    if not text.startswith("Leaderboard"):
        assert_refusal_explains(text, LEADERBOARD_HINTS)
    await run(world, "streak", **me)
    await run(world, "stats", **me, user=BOB)
    await run(world, "topics", **me)
    await run(world, "help", **me)


@fuzz
@given(
    topic=st.none() | st.sampled_from(["evaluation", "ensembles", "all"]) | hostile(40),
    level=LEVELS,
    count=st.none() | st.integers(1, 20),
    in_dm=st.booleans(),
)
async def test_drill_refuses_clearly_or_starts(
    world: DiscordWorld, topic: str | None, level: str | None, count: int | None, in_dm: bool
) -> None:
    given_options = {"topic": topic, "difficulty": level, "count": count}
    options = {k: v for k, v in given_options.items() if v is not None}
    text = await run(world, "drill", guild=not in_dm, **options)
    if not text.startswith("Drill — question 1 of"):
        assert_refusal_explains(text, ("known topics:", "no questions match"))


@fuzz
@given(
    question=st.sampled_from(["eval-one", "EVAL-TWO ", "ens-open"]) | hostile(64),
    reason=hostile(300).map(lambda text: text.ljust(3, "!")),
)
async def test_report_reasons_are_shown_escaped(
    world: DiscordWorld, question: str, reason: str
) -> None:
    text = await run(world, "report", question=question, reason=reason)
    if text.startswith("Thanks — report #"):
        listed = await run(world, "daily reports", permissions=MANAGER)
        assert "Question reports" in listed
    else:
        assert_refusal_explains(text, ("is shown under each question", "3 to 300 characters"))


# --- study groups ------------------------------------------------------------------------------

NOISE = ["\u200b", "\u200d", "\ufeff", "\u2060", "\x00"]


@fuzz
@given(name=hostile(34), noise=st.sampled_from(NOISE), period=CHOICE_OR_JUNK["period"])
async def test_group_names_are_refused_clearly_or_shown_escaped(
    world: DiscordWorld, name: str, noise: str, period: str | None
) -> None:
    typed = f"t{next(_unique)} {name}"  # unique per example, still a plausible name
    text = await run(world, "group create", user_id=ALICE, name=typed)
    try:
        expected = clean_group_name(typed)
    except UserError:
        assert_refusal_explains(text, ("letters, digits, spaces", "2 to 32 characters"))
        return
    assert text.startswith("Created **"), text
    # An invisible character pasted into the name still finds the same group.
    noisy = typed[:2] + noise + typed[2:]
    joined = await run(world, "group join", user_id=BOB, display="Bob", name=noisy)
    assert joined.startswith("You joined **"), joined
    groups = await world.harness.services.groups.mine(space_key(GUILD_ID), bob_ref())
    assert expected in [g.name for g in groups]
    await run(world, "group list")
    options = {} if period is None else {"period": period}
    await run(world, "group leaderboard", **options)
    board = await run(world, "leaderboard", user_id=BOB, scope="group", group=noisy)
    assert board.startswith("Leaderboard — group "), board
    left = await run(world, "group leave", user_id=BOB, display="Bob", name=typed.upper())
    assert left.startswith("You left **"), left


def bob_ref() -> UserRef:
    return UserRef("discord", str(BOB), "Bob")


async def test_a_group_name_with_markdown_and_pings_renders_escaped(world: DiscordWorld) -> None:
    """Creation refuses such a name, so plant it in the store: rendering must not rely on that."""
    store = world.harness.services.groups.store
    name = "**bold** @everyone <@&5>"
    alice = UserRef("discord", str(ALICE), "Alice")
    await store.create_group(space_key(GUILD_ID), name, alice, datetime.now(UTC))

    escaped = "\\*\\*bold\\*\\* @\u200beveryone \\<@&5>"
    listed = await run(world, "group list")
    board = await run(world, "group leaderboard", period="all")
    mine = await run(world, "leaderboard", user_id=ALICE, scope="group", group=name)
    for text in (listed, board, mine):
        assert escaped in text, text


# --- names in the channel ------------------------------------------------------------------------


@settings(fuzz, max_examples=10)
@given(names=st.lists(hostile(32).filter(str.strip), min_size=2, max_size=2))
async def test_hostile_display_names_in_a_round_ping_nobody(
    world: DiscordWorld, names: list[str]
) -> None:
    """Display names reach the public reveal and the leaderboards; none may ping."""
    start = len(world.fake.calls)
    await run(world, "daily reveal", permissions=MANAGER)  # close a round a previous example left
    await run(world, "daily now", permissions=MANAGER)
    message = world.posted_message()
    round_ = await world.harness.services.rounds.open_round(HERE)
    for user_id, name in zip((ALICE, BOB), names, strict=True):
        responses = await world.click(
            message,
            custom_ids(message)["abcd".index(round_.question.answer)],
            user_id=user_id,
            name=name,
        )
        assert all(is_ephemeral(r) for r in responses)
    await world.harness.advance(timedelta(minutes=1))
    await run(world, "daily reveal", permissions=MANAGER)
    for user_id, name in zip((ALICE, BOB), names, strict=True):
        await run(world, "leaderboard", user_id=user_id, display=name, period="all")
        await run(world, "streak", user_id=user_id, display=name)
    assert_pings_nobody(message_bodies(world.fake.calls[start:]))


# --- values Discord itself would refuse ----------------------------------------------------------


@settings(fuzz, max_examples=25)
@given(
    text=st.text(min_size=0, max_size=3000) | hostile(40).map(lambda t: t * 80),
    count=st.integers(-(10**18), 10**18),
)
async def test_values_beyond_the_declared_limits_are_still_handled(
    world: DiscordWorld, text: str, count: int
) -> None:
    """A stale command registration lets through what Discord would normally stop."""
    await run(world, "drill", topic=text, count=count)
    await run(world, "report", question=text, reason=text)
    await run(world, "group create", name=text)
    await run(world, "leaderboard", period=text, scope=text, group=text)
    await run(
        world,
        "daily setup",
        permissions=MANAGER,
        channel=CHANNEL_ID,
        time_of_day=text,
        timezone=text,
        reveal_after=text,
        days=text,
        topics=text,
    )
