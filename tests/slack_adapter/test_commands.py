"""Every ``/studybot`` subcommand: what it does, what it refuses, who may use it."""

from __future__ import annotations

import pytest

from bot.adapters.slack.ids import channel_ref
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

HERE = channel_ref(TEAM, CHANNEL)


@pytest.mark.parametrize(
    "text",
    [
        "daily setup 09:00 UTC",
        "daily pause",
        "daily resume",
        "daily remove",
        "daily now",
        "daily reveal",
        "daily recap off",
        "daily reports",
    ],
)
async def test_admin_subcommands_refuse_members(world: SlackWorld, text: str) -> None:
    reply = await world.command(text, user=MEMBER)
    assert reply["response_type"] == "ephemeral"
    assert "only workspace admins and owners" in text_of(reply).lower()
    assert world.fake.of("chat.postMessage") == []
    assert await world.harness.services.rounds.open_round(HERE) is None


async def test_admin_status_is_asked_once_then_cached(world: SlackWorld) -> None:
    await world.command("daily setup 09:00 UTC", user=ADMIN)
    await world.command("daily pause", user=ADMIN)
    assert [c["user"] for c in world.fake.of("users.info")] == [ADMIN]


async def test_listed_admins_need_no_workspace_role(world: SlackWorld) -> None:
    from bot.adapters.slack.admin import AdminCheck
    from tests.slack_adapter.world import web_client_for

    check = AdminCheck(web_client_for(world.settings), [SECOND])
    assert await check.is_admin(SECOND)
    assert not await check.is_admin(MEMBER)
    assert world.fake.of("users.info") == [{"user": MEMBER}]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("daily", "usage: /studybot daily setup|show"),
        ("daily launch", "unknown /studybot daily subcommand 'launch'"),
        ("daily setup", "usage: /studybot daily setup TIME"),
        ("daily setup 25:00 UTC", "hours are 0-23"),
        ("daily setup 09:00 Mars/Base", "is not an IANA time zone"),
        ("daily setup 09:00 UTC colour=red", "unknown option colour"),
        ("daily setup 09:00 UTC topics=astrology", "unknown topic astrology"),
        ("daily setup 09:00 UTC reveal=3d", "between 1 minute and 24 hours"),
        ("daily recap maybe", "usage: /studybot daily recap on|off"),
        ("daily pause now", "usage: /studybot daily pause [#channel]"),
        ("daily show <#C0A000001|a> <#C0A000002|b>", "at most one #channel"),
        ('daily setup "09:00', "unbalanced quotes"),
    ],
)
async def test_bad_daily_arguments_say_what_is_allowed(
    world: SlackWorld, text: str, hint: str
) -> None:
    reply = await world.command(text, user=ADMIN)
    assert reply["response_type"] == "ephemeral"
    assert hint.lower() in text_of(reply).lower()


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("dance", "unknown subcommand 'dance'"),
        ("drill evaluation ensembles", "usage: /studybot drill [TOPIC]"),
        ("drill astrology", "unknown topic 'astrology'"),
        ("drill 50", "a drill has 1 to 20 questions"),
        ("leaderboard yearly", "is not a period or scope"),
        ("leaderboard group", "you are not in a study group"),
        ("leaderboard group Nobody Here", "there is no group called 'Nobody Here'"),
        ("streak bob", "usage: /studybot streak [@user]: name a person as an @mention"),
        ("stats <@U0A|a> <@U0B|b>", "usage: /studybot stats [@user]"),
        ("group", "usage: /studybot group create|join|leave NAME"),
        ("group dance", "unknown /studybot group subcommand 'dance'"),
        ("group join", "usage: /studybot group join NAME"),
        ("group join Ghosts", "there is no group called 'Ghosts'"),
        ("group create x", "a group name needs 2 to 32 characters"),
        ("report", "usage: /studybot report QUESTION-ID REASON"),
        ("report nope wrong key", "there is no question 'nope'"),
        ("report eval-one ?", "say in 3 to 300 characters"),
    ],
)
async def test_bad_arguments_from_anyone_say_what_is_allowed(
    world: SlackWorld, text: str, hint: str
) -> None:
    reply = await world.command(text, user=MEMBER)
    assert reply["response_type"] == "ephemeral"
    assert hint.lower() in text_of(reply).lower()


async def test_setup_needs_the_bot_in_the_channel(world: SlackWorld) -> None:
    outside = await world.command(f"daily setup 09:00 UTC <#{OUTSIDE_CHANNEL}|random>", user=ADMIN)
    assert "invite me with `/invite @studybot`" in text_of(outside)
    private = await world.command("daily setup 09:00 UTC <#C0SECRET1|secret>", user=ADMIN)
    assert "invite me first" in text_of(private)
    archived = await world.command(f"daily setup 09:00 UTC <#{ARCHIVED_CHANNEL}|old>", user=ADMIN)
    assert "archived" in text_of(archived)
    assert await world.harness.services.schedules.in_space(HERE.space_key) == []


async def test_daily_lifecycle_on_another_channel(world: SlackWorld) -> None:
    there = f"<#{OTHER_CHANNEL}|study>"
    schedules = world.harness.services.schedules
    setup = await world.command(
        f"daily setup 07:15 America/New_York {there} days=weekdays topics=evaluation "
        "difficulty=hard reveal=2h",
        user=ADMIN,
    )
    assert f"Daily question scheduled in <#{OTHER_CHANNEL}>" in text_of(setup)
    saved = await schedules.get(channel_ref(TEAM, OTHER_CHANNEL))
    assert (saved.timezone, saved.topics, saved.difficulty) == (
        "America/New_York",
        ("evaluation",),
        "hard",
    )

    listed = await world.command("daily show", user=MEMBER)  # everyone may look
    assert f"<#{OTHER_CHANNEL}> — 07:15 America/New_York" in text_of(listed)
    shown = await world.command(f"daily show {there}", user=MEMBER)
    assert "weekdays" in text_of(shown) and "2h" in text_of(shown)

    assert "paused" in text_of(await world.command(f"daily pause {there}", user=ADMIN))
    again = await world.command(f"daily pause {there}", user=ADMIN)
    assert "already paused" in text_of(again).lower()
    assert "running again" in text_of(await world.command(f"daily resume {there}", user=ADMIN))
    off = await world.command(f"daily recap off {there}", user=ADMIN)
    assert "Weekly recap in <#C0OTHER01> turned off" in text_of(off)
    assert not (await schedules.get(channel_ref(TEAM, OTHER_CHANNEL))).recap

    now = await world.command(f"daily now {there}", user=ADMIN)
    assert "Posted question #" in text_of(now)
    (posted,) = world.fake.of("chat.postMessage")
    assert posted["channel"] == OTHER_CHANNEL
    busy = await world.command(f"daily now {there}", user=ADMIN)
    assert "a round is already open" in text_of(busy).lower()
    assert "/studybot daily reveal" in text_of(busy)  # named the Slack way
    revealed = await world.command(f"daily reveal {there}", user=ADMIN)
    assert "Revealed question #" in text_of(revealed)

    removed = await world.command(f"daily remove {there}", user=ADMIN)
    assert "removed; scores and streaks are kept" in text_of(removed)
    missing = await world.command(f"daily show {there}", user=ADMIN)
    assert "has no daily question" in text_of(missing)


async def test_scores_groups_and_reports(world: SlackWorld) -> None:
    services = world.harness.services
    await world.command("daily now", user=ADMIN)
    round_ = await services.rounds.open_round(HERE)
    await world.click(
        f"studybot:answer:{round_.id}:{round_.question.answer}", user=MEMBER, name="ann"
    )
    await world.command("daily reveal", user=ADMIN)

    board = text_of(await world.command("leaderboard week", user=MEMBER, name="ann"))
    assert "ann" in board and "← you" in board and "Your streak: 1 days" in board
    other = text_of(await world.command("leaderboard channel", user=SECOND))
    assert "this channel" in other and "You have no points in this period yet" in other

    created = await world.command('group create "Tensor Tigers"', user=MEMBER, name="ann")
    assert "Created *Tensor Tigers*" in text_of(created)
    assert "You joined *Tensor Tigers*" in text_of(
        await world.command("group join tensor tigers", user=SECOND)
    )
    assert "2 members" in text_of(await world.command("group list", user=SECOND))
    assert "*Tensor Tigers*" in text_of(await world.command("group mine", user=SECOND))
    ranked = text_of(await world.command("group leaderboard all", user=SECOND))
    assert "Tensor Tigers" in ranked and "per active member" in ranked
    assert "Tensor Tigers" in text_of(await world.command("leaderboard groups", user=SECOND))
    grouped = text_of(await world.command("leaderboard all group Tensor Tigers", user=SECOND))
    assert "group Tensor Tigers" in grouped and "ann" in grouped
    assert "You left" in text_of(await world.command("group leave Tensor Tigers", user=SECOND))

    streak = text_of(await world.command(f"streak <@{MEMBER}|ann>", user=SECOND))
    assert "Streak — ann" in streak and "1 days" in streak
    stats = text_of(await world.command("stats", user=MEMBER, name="ann"))
    assert "Stats — ann" in stats and "rank 1" in stats and "Drills" in stats

    filed = await world.command("report eval-one the key looks wrong", user=SECOND)
    assert "report #1 on `eval-one` is filed" in text_of(filed)
    reports = await world.command("daily reports", user=ADMIN)
    assert "the key looks wrong" in text_of(reports)


async def test_an_unexpected_error_is_a_short_private_message_and_a_log_line(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.adapters.slack.app import FAILED

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(world.harness.services.boards, "leaderboard", broken)
    reply = await world.command("leaderboard")
    assert reply["response_type"] == "ephemeral" and FAILED in text_of(reply)
    assert "RuntimeError: boom" in caplog.text
    # The app keeps serving.
    assert "evaluation" in text_of(await world.command("topics"))


async def test_text_slack_escaped_is_read_as_typed(world: SlackWorld) -> None:
    """Slack sends a typed ``&``, ``<`` or ``>`` as an entity; the bot stores what
    was typed, and shows it escaped exactly once."""
    filed = await world.command(
        "report eval-one the key &amp; the prompt disagree on &lt;b&gt;", user=MEMBER
    )
    assert "is filed" in text_of(filed)
    (report,) = await world.harness.services.reports.open_reports()
    assert report.reason == "the key & the prompt disagree on <b>"
    shown = await world.command("daily reports", user=ADMIN)
    section = next(b for b in shown["blocks"] if b["type"] == "section")
    assert "the key &amp; the prompt disagree on &lt;b&gt;" in section["text"]["text"]
