"""Every ``/studybot`` subcommand fed hostile arguments: a clear refusal or a safe result.

Hypothesis generates times, zones, options, topics, counts, group names, report
reasons, mentions and display names full of Slack markup (``<!channel>``,
``<@U…|x>``, ``<#C…>``, ``<https://…|x>``), mrkdwn markers, entities,
zero-width and bidi characters, line breaks and very long text. Whatever comes
in, every reply must be private, must not be the answer to an unhandled
exception, and neither the reply nor any message the bot posted may hold live
markup that came from the user: the only ``<…>`` tokens allowed are the bot's
own dates and links to channels the test named. A refusal must say what is
allowed.

One SlackWorld serves all examples of a test; examples that keep state (groups,
reports, rounds) use a workspace and users of their own so they stay independent.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.grammar import DAILY_SUBCOMMANDS, DIFFICULTY_WORDS
from bot.adapters.slack.app import FAILED
from bot.adapters.slack.commands import ADMIN_DAILY, SUBCOMMANDS
from bot.adapters.slack.ids import channel_ref, space_key, user_ref
from bot.adapters.slack.text import MESSAGE_TEXT, SECTION_TEXT, escape, slash, unescape
from bot.core.drills import MAX_COUNT
from tests.slack_adapter.fake_api import (
    ADMIN,
    ARCHIVED_CHANNEL,
    CHANNEL,
    MEMBER,
    OTHER_CHANNEL,
    OUTSIDE_CHANNEL,
    SECOND,
    TEAM,
)
from tests.slack_adapter.world import SlackWorld, text_of

fuzz = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_unique = itertools.count(1)

PIECES = [
    "<@U0ADMIN01|boss>",
    "<@U123|x>",
    "<@W0ABC>",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0TEAM|devs>",
    "<#C123>",
    f"<#{OTHER_CHANNEL}|study>",
    f"<#{ARCHIVED_CHANNEL}|old>",
    "<https://evil.example|click>",
    "<mailto:a@b.example|mail>",
    "*bold*",
    "_it_",
    "~st~",
    "`code`",
    "```",
    "> quote",
    "&amp;",
    "&lt;!here&gt;",
    "&",
    "<",
    ">",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2066",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "'",
    '"',
    "\\",
    "\U0001f389",
    "٠٩:٣٠",
    "²",
    "09:30",
    "25:00",
    "9am",
    "UTC",
    "Europe/Berlin",
    "Mars/Base",
    "evaluation",
    "ensembles",
    "eval-one",
    "easy",
    "week",
    "group",
    "=",
    ",",
    " ",
]


def hostile(pieces: int = 6) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=pieces).map("".join)


def very_long() -> st.SearchStrategy[str]:
    return hostile(4).map(lambda text: text * 300) | st.text(min_size=1000, max_size=3000)


NAMES = st.just("") | hostile() | very_long()
# Channels the tests name; the bot may link these (and only these) with <#…>.
KNOWN_CHANNELS = {CHANNEL, OTHER_CHANNEL, OUTSIDE_CHANNEL, ARCHIVED_CHANNEL}
CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>")
OWN_TOKEN = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]+>"
    r"|<#(?P<channel>[CG][A-Z0-9]+)>"
    r"|&amp;|&lt;|&gt;"
)


# ---- the universal properties -------------------------------------------------------------


def mrkdwn_texts(payload: dict[str, Any]) -> Iterator[str]:
    """The top-level text (Slack formats it as mrkdwn) and every mrkdwn object."""
    if isinstance(payload.get("text"), str):
        yield payload["text"]

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                yield node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    yield from walk(payload.get("blocks", []))


def assert_inert(payload: dict[str, Any], channels: set[str]) -> None:
    """No mention, ping, link or stray markup: every ``<``, ``>`` and ``&`` belongs
    to a date token, a link to a known channel, or a whole escape."""
    assert len(payload.get("text", "")) <= MESSAGE_TEXT
    for text in mrkdwn_texts(payload):
        assert len(text) <= MESSAGE_TEXT
        for match in OWN_TOKEN.finditer(text):
            assert match["channel"] is None or match["channel"] in channels, text
        rest = OWN_TOKEN.sub("", text)
        assert not re.search(r"[<>&]", rest), f"live markup in {text!r}"


def section_texts(reply: dict[str, Any]) -> str:
    """The raw mrkdwn of the reply's sections (escapes and zero-width spaces kept)."""
    return "\n".join(b["text"]["text"] for b in reply["blocks"] if "text" in b)


def is_refusal(reply: dict[str, Any]) -> bool:
    # A refusal (a UserError) goes out as a new private message; results do not say.
    return reply.get("replace_original") is False


def assert_explains(reply: dict[str, Any], hints: Iterable[str]) -> None:
    shown = text_of(reply).lower()
    assert any(hint.lower() in shown for hint in hints), f"refusal without a hint: {shown!r}"


def check_sent(
    world: SlackWorld, start: int, reply: dict[str, Any] | None, typed: Iterable[str]
) -> None:
    channels = KNOWN_CHANNELS | {c for text in typed for c in CHANNEL_MENTION.findall(text)}
    if reply is not None:
        assert reply["response_type"] == "ephemeral", reply
        assert FAILED not in text_of(reply), f"unhandled exception for {list(typed)!r}"
        assert reply["blocks"] and all(
            len(b["text"]["text"]) <= SECTION_TEXT for b in reply["blocks"] if "text" in b
        )
        assert_inert(reply, channels)
    for call in world.fake.calls[start:]:
        if call.method in {"chat.postMessage", "chat.update"}:
            assert_inert(call.args, channels)


async def run(
    world: SlackWorld, text: str, *, user: str = MEMBER, name: str = "", team: str = TEAM
) -> dict[str, Any]:
    """``/studybot text``; the universal properties hold for the reply and for
    everything the bot posted meanwhile."""
    start = len(world.fake.calls)
    reply = await world.command(text, user=user, name=name, team=team)
    check_sent(world, start, reply, [text, name])
    return reply


async def click(world: SlackWorld, action_id: str, *, user: str, name: str) -> dict[str, Any]:
    start = len(world.fake.calls)
    reply = await world.click(action_id, user=user, name=name)
    assert reply is not None
    check_sent(world, start, reply, [name])
    return reply


def fresh_team() -> str:
    return f"T0FZ{next(_unique):05d}"


def fresh_user() -> str:
    return f"U0FZ{next(_unique):05d}"


def joined(*parts: str | None) -> str:
    return " ".join(p for p in parts if p is not None)


QUOTES = ("unbalanced quotes", "close the quote")
ADMINS_ONLY = "only workspace admins"


# ---- /studybot daily setup ----------------------------------------------------------------

CLOCK_TIMES = ["09:30", "9", "9am", "12pm", "21:05", "0:00", "23:59", "13pm"]
TIMES = st.sampled_from(CLOCK_TIMES) | hostile(3)
ZONES = st.none() | st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "utc"]) | hostile()
OPTION = st.none() | hostile(4)
DELAYS = st.none() | st.sampled_from(["30m", "1h", "1h30m", "90s", "24h", "3d"]) | OPTION
DAYS = st.none() | st.sampled_from(["weekdays", "daily", "mon,wed,fri", "fri-mon"]) | OPTION
TOPICS = st.none() | st.sampled_from(["evaluation", "ensembles,evaluation", "all"]) | OPTION
LEVELS = st.none() | st.sampled_from([*DIFFICULTY_WORDS, "HARD"]) | OPTION
WHERE = st.none() | st.sampled_from(
    [f"<#{c}|x>" for c in (OTHER_CHANNEL, OUTSIDE_CHANNEL, ARCHIVED_CHANNEL, "C123", "G0PRIV")]
)
SETUP_HINTS = (
    "usage:",
    "use ",
    "e.g.",
    "hours are 0-23",
    "must be 1-12",
    "known topics",
    "between 1 minute and 24 hours",
    "durations go up to",
    "at most one #channel",
    "invite me",
    "archived",
    *QUOTES,
)


@fuzz
@given(
    at=TIMES,
    zone=ZONES,
    delay=DELAYS,
    days=DAYS,
    topics=TOPICS,
    level=LEVELS,
    where=WHERE,
    admin=st.booleans(),
)
async def test_daily_setup_refuses_clearly_or_schedules(
    world: SlackWorld,
    at: str,
    zone: str | None,
    delay: str | None,
    days: str | None,
    topics: str | None,
    level: str | None,
    where: str | None,
    admin: bool,
) -> None:
    team = fresh_team()
    options = {"reveal": delay, "days": days, "topics": topics, "difficulty": level}
    text = joined(
        "daily setup", at, zone, *(f"{k}={v}" for k, v in options.items() if v is not None), where
    )
    reply = await run(world, text, user=ADMIN if admin else MEMBER, team=team)
    saved = await world.harness.services.schedules.in_space(space_key(team))
    if not admin:
        assert is_refusal(reply) and saved == []
        assert_explains(reply, (ADMINS_ONLY, "at most one #channel", *QUOTES))
        return
    if is_refusal(reply):
        assert saved == []
        assert_explains(reply, SETUP_HINTS)
        return
    (schedule,) = saved
    shown = text_of(reply)
    assert shown.startswith(f"Daily question scheduled in <#{schedule.channel.channel}>")
    assert f"{schedule.post_time:%H:%M} {schedule.timezone}" in shown


# ---- the other /studybot daily subcommands --------------------------------------------------

SUBS = st.sampled_from([*DAILY_SUBCOMMANDS[1:], "RECAP", "Pause", "launch", "setup"])
DAILY_ARGS = st.lists(
    st.sampled_from(["on", "off", "ON", "maybe", "now", f"<#{OTHER_CHANNEL}|study>", "<#C123>"])
    | hostile(3),
    max_size=3,
)
DAILY_HINTS = (
    *SETUP_HINTS,
    ADMINS_ONLY,
    "already",
    "no daily question",
    "start one with",
    "end it first",
)


@fuzz
@given(steps=st.lists(st.tuples(SUBS, DAILY_ARGS, st.booleans()), min_size=1, max_size=4))
async def test_daily_subcommands_refuse_clearly_or_act(
    world: SlackWorld, steps: list[tuple[str, list[str], bool]]
) -> None:
    team = fresh_team()
    for sub, args, admin in steps:
        reply = await run(
            world, joined("daily", sub, *args), user=ADMIN if admin else MEMBER, team=team
        )
        if not is_refusal(reply):
            continue
        if sub.lower() in ADMIN_DAILY and not admin:
            assert_explains(reply, (ADMINS_ONLY, "at most one #channel", *QUOTES))
        else:
            assert ADMINS_ONLY not in text_of(reply).lower()
            assert_explains(reply, DAILY_HINTS)
    # Whatever happened, a schedule only exists here if an admin set one up.
    if await world.harness.services.schedules.in_space(space_key(team)):
        assert any(sub == "setup" and admin for sub, _, admin in steps)


@settings(fuzz, max_examples=15)
@given(switch=st.sampled_from(["on", "off", "On", "OFF"]) | hostile(2), admin=st.booleans())
async def test_daily_recap_takes_on_or_off(world: SlackWorld, switch: str, admin: bool) -> None:
    team = fresh_team()
    await run(world, "daily setup 09:00 UTC", user=ADMIN, team=team)
    reply = await run(world, f"daily recap {switch}", user=ADMIN if admin else MEMBER, team=team)
    (schedule,) = await world.harness.services.schedules.in_space(space_key(team))
    if not admin:
        assert is_refusal(reply) and schedule.recap  # unchanged
        assert_explains(reply, (ADMINS_ONLY, "at most one #channel", *QUOTES))
    elif switch.lower() in {"on", "off"}:
        assert not is_refusal(reply)
        assert f"turned {switch.lower()}" in text_of(reply)
        assert schedule.recap is (switch.lower() == "on")
    else:
        assert is_refusal(reply) and schedule.recap
        assert_explains(reply, ("usage: /studybot daily recap on|off", "usage:", *QUOTES))


# ---- drills ---------------------------------------------------------------------------------

DRILL_WORDS = st.sampled_from(
    ["evaluation", "ensembles", "any", "all", "easy", "hard", "5", "0", "21", "1", "²", "٣"]
)
DRILL_HINTS = ("usage:", "known topics", f"1 to {MAX_COUNT}", "try another mix", *QUOTES)


@fuzz
@given(args=st.lists(DRILL_WORDS | hostile(3), max_size=4), name=NAMES)
async def test_drill_refuses_clearly_or_starts(
    world: SlackWorld, args: list[str], name: str
) -> None:
    me = fresh_user()
    reply = await run(world, joined("drill", *args), user=me, name=name)
    if is_refusal(reply):
        assert_explains(reply, DRILL_HINTS)
        return
    assert text_of(reply).startswith("Drill — question 1 of")
    first = next(
        e["action_id"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    stolen = await click(world, first, user=SECOND, name=name)
    assert is_refusal(stolen) and "belongs to someone else" in text_of(stolen)
    step = await click(world, first, user=me, name=name)
    assert not is_refusal(step)
    assert text_of(step).startswith(("✅ *Correct*", "❌ *Not quite*"))
    again = await click(world, first, user=me, name=name)
    assert is_refusal(again) and "already answered" in text_of(again)


# ---- scores -----------------------------------------------------------------------------------

BOARD_WORDS = st.sampled_from(
    ["week", "month", "all", "server", "workspace", "channel", "group", "groups", "WEEK"]
)
BOARD_HINTS = (
    "use week|month|all",
    "there is no group called",
    "not in a study group",
    "name one",
    *QUOTES,
)
# What Slack sends for a typed @mention: <@U…|name> (the name never holds '>').
MENTIONS = st.tuples(
    st.sampled_from([SECOND, ADMIN, "U0NOBODY1", "W0ENTERPR"]),
    hostile(3).map(lambda n: n.replace(">", "")),
).map(lambda m: f"<@{m[0]}|{m[1]}>")
WHO = st.none() | MENTIONS | hostile(3) | st.lists(MENTIONS, min_size=2, max_size=2).map(" ".join)


@fuzz
@given(args=st.lists(BOARD_WORDS | hostile(3), max_size=4), who=WHO, name=NAMES)
async def test_leaderboard_streak_and_stats_with_junk_and_mentions(
    world: SlackWorld, args: list[str], who: str | None, name: str
) -> None:
    board = await run(world, joined("leaderboard", *args), name=name)
    if is_refusal(board):
        assert_explains(board, BOARD_HINTS)
    else:
        assert text_of(board).startswith(("Leaderboard — ", "Study groups — "))
    for command, title, fallback in (
        ("streak", "Streak — ", "Streak of "),
        ("stats", "Stats — ", "Stats of "),
    ):
        reply = await run(world, joined(command, who), name=name)
        if is_refusal(reply):
            assert who is not None
            assert_explains(reply, (f"usage: /studybot {command} [@user]", *QUOTES))
        else:
            assert text_of(reply).startswith(title.rstrip())  # a blank name is cut away
            assert reply["text"].startswith(fallback)


# ---- study groups ---------------------------------------------------------------------------

GROUP_HINTS = ("usage:", "2 to 32 characters", "letters, digits, spaces", *QUOTES)
GROUP_NAMES = (
    st.sampled_from(["Tensor Tigers", "O'Neil's", "x", "Über-Grad 2.0", "Back_Prop"])
    | hostile(4)
    | very_long()
)


@fuzz
@given(typed=GROUP_NAMES, name=NAMES)
async def test_group_names_are_refused_clearly_or_shown_escaped(
    world: SlackWorld, typed: str, name: str
) -> None:
    team, services = fresh_team(), world.harness.services
    created = await run(world, f"group create {typed}", name=name, team=team)
    found = await services.groups.in_space(space_key(team))
    if is_refusal(created):
        assert found == []
        assert_explains(created, GROUP_HINTS)
        return
    (group,) = found
    shown = escape(group.name)
    assert f"Created *{shown}*" in section_texts(created)
    join = await run(world, f"group join {typed}", user=SECOND, team=team)
    assert f"You joined *{shown}*" in section_texts(join)
    listed = await run(world, "group list", team=team)
    assert f"*{shown}* — 2 members" in section_texts(listed)
    mine = await run(world, "group mine", user=SECOND, team=team)
    assert f"*{shown}*" in section_texts(mine)
    await run(world, "group leaderboard all", team=team)
    ranked = await run(world, "leaderboard groups", team=team)
    assert shown in section_texts(ranked)
    board = await run(world, f"leaderboard all group {typed}", user=SECOND, team=team)
    assert not is_refusal(board) and f"group {group.name}" in text_of(board)
    left = await run(world, f"group leave {typed}", user=SECOND, team=team)
    assert f"You left *{shown}*" in section_texts(left)
    gone = await run(world, f"group leave {typed}", user=SECOND, team=team)
    assert is_refusal(gone) and "you are not in" in text_of(gone).lower()


async def test_a_hostile_group_name_in_the_store_is_shown_escaped(world: SlackWorld) -> None:
    """Creation refuses such a name, so plant it: rendering must not rely on that."""
    name = "<!channel> *bold* <@U0ADMIN01> &amp; <https://evil.example|x>"
    space = space_key(TEAM)
    store = world.harness.services.groups.store
    await store.create_group(space, name, user_ref(MEMBER, "ann"), datetime.now(UTC))
    shown = escape(name)
    for text in ("group list", "group mine", "leaderboard groups", "leaderboard all group"):
        reply = await run(world, text)
        assert not is_refusal(reply), text_of(reply)
        if text != "leaderboard all group":
            assert shown in section_texts(reply), text
        assert "<!channel>" not in reply["text"]


# ---- reports ----------------------------------------------------------------------------------

REPORT_HINTS = ("usage:", "shown under each question", "3 to 300 characters", *QUOTES)


@fuzz
@given(
    question=st.sampled_from(["eval-one", "EVAL-TWO", "ens-open"]) | hostile(2),
    reason=hostile() | very_long(),
    name=NAMES,
)
async def test_report_reasons_are_refused_clearly_or_shown_escaped(
    world: SlackWorld, question: str, reason: str, name: str
) -> None:
    team, reports = fresh_team(), world.harness.services.reports
    filed = await run(world, joined("report", question, reason), user=SECOND, name=name, team=team)
    stored = await reports.open_reports(space_key(team))
    if is_refusal(filed):
        assert stored == []
        assert_explains(filed, REPORT_HINTS)
        return
    (report,) = stored
    assert f"report #{report.id} on `{escape(report.question_id)}` is filed" in text_of(filed)
    refused = await run(world, "daily reports", user=MEMBER, team=team)
    assert is_refusal(refused) and ADMINS_ONLY in text_of(refused).lower()
    listed = await run(world, "daily reports", user=ADMIN, team=team)
    # The reporter's name may be thousands of characters long and cut; the reason is whole.
    assert f"— {escape(report.reason)} (by " in section_texts(listed)


# ---- names in public messages -------------------------------------------------------------------


@settings(fuzz, max_examples=12)
@given(names=st.lists(hostile().filter(str.strip), min_size=2, max_size=2))
async def test_hostile_display_names_in_a_round_stay_inert(
    world: SlackWorld, names: list[str]
) -> None:
    """Names reach the public reveal and the leaderboards; none may ping or link.
    (Thousands of characters long, they are cut to fit: see test_limits.py and the
    very-long-arguments test below.)"""
    team = fresh_team()
    players = [fresh_user(), fresh_user()]
    await run(world, "daily now", user=ADMIN, team=team)
    round_ = await world.harness.services.rounds.open_round(channel_ref(team, CHANNEL))
    assert round_ is not None
    for player, name in zip(players, names, strict=True):
        answer = f"studybot:answer:{round_.id}:{round_.question.answer}"
        locked = await click(world, answer, user=player, name=name)
        assert "Locked in" in text_of(locked)
    posts = len(world.fake.of("chat.postMessage"))
    await run(world, "daily reveal", user=ADMIN, team=team)
    reveal = world.fake.of("chat.postMessage")[posts:]
    assert len(reveal) == 1
    notes = "\n".join(mrkdwn_texts(reveal[0]))
    assert "First correct: " + escape(names[0])[:100] in notes
    for player, name in zip(players, names, strict=True):
        board = await run(world, "leaderboard all", user=player, name=name, team=team)
        rows = section_texts(board)
        assert f"{escape(name)} — *" in rows and "← you" in rows
        streak = await run(world, "streak", user=player, name=name, team=team)
        assert not is_refusal(streak)
        await run(world, f"streak <@{player}|{name.replace('>', '')}>", user=ADMIN, team=team)


# ---- unknown subcommands and very long input ------------------------------------------------------


def one_word(text: str) -> str:
    """``text`` as a single shell word: no whitespace, quotes or backslashes."""
    return "".join(c for c in "".join(text.split()) if c not in "'\"\\")


HEADS = hostile(2).map(one_word).filter(lambda w: w and w.lower() not in SUBCOMMANDS)


@fuzz
@given(head=HEADS, rest=hostile(2))
async def test_unknown_subcommands_list_the_known_ones(
    world: SlackWorld, head: str, rest: str
) -> None:
    reply = await run(world, f"{head} {rest}")
    assert is_refusal(reply)
    if any(hint in text_of(reply) for hint in QUOTES):
        return  # the quotes in the rest are refused before the words are read
    assert_explains(reply, ("use one of daily, drill, leaderboard",))
    # Slack sends a typed & < > as entities; the bot reads them as typed.
    assert f"nknown subcommand '{escape(slash(unescape(head)))}'" in section_texts(reply)


async def test_no_subcommand_shows_the_help(world: SlackWorld) -> None:
    for text in ("", "   ", "help", "HELP extra words"):
        reply = await run(world, text)
        assert not is_refusal(reply)
        assert text_of(reply).startswith("studybot — ML interview practice")


@settings(fuzz, max_examples=15)
@given(text=very_long())
async def test_very_long_arguments_are_handled_everywhere(world: SlackWorld, text: str) -> None:
    team = fresh_team()
    for command, user in (
        ("drill", MEMBER),
        ("report eval-one", MEMBER),
        ("group create", MEMBER),
        ("leaderboard all group", MEMBER),
        ("streak", MEMBER),
        ("daily setup 09:00 UTC topics=", ADMIN),
        ("daily setup", ADMIN),
    ):
        line = command + text if command.endswith("=") else f"{command} {text}"
        await run(world, line, user=user, name=text, team=team)
