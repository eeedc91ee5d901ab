"""/daily and the daily question on Discord: permissions, the posted message,
buttons across a restart, the reveal, and Discord failures."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.adapters.discord.ids import channel_ref
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID, LOCKED_CHANNEL_ID, http_error
from tests.discord_adapter.world import (
    EVERYONE,
    MANAGER,
    DiscordWorld,
    custom_ids,
    is_ephemeral,
    text_of,
)
from tests.helpers import MONDAY_8AM

NINE = MONDAY_8AM.replace(hour=9)
HERE = channel_ref(GUILD_ID, CHANNEL_ID)
ALICE, BOB = 960_000_000_000_000_011, 960_000_000_000_000_012


async def setup_daily(world: DiscordWorld, **options: object) -> list[dict[str, object]]:
    options = {"channel": CHANNEL_ID, "time_of_day": "09:00", "timezone": "UTC", **options}
    return await world.command("daily setup", permissions=MANAGER, **options)  # type: ignore[arg-type]


async def test_setup_schedules_and_replies_privately(world: DiscordWorld) -> None:
    (response,) = await setup_daily(
        world, timezone="Europe/Berlin", reveal_after="30m", days="weekdays"
    )
    assert is_ephemeral(response)
    text = text_of(response)
    assert f"<#{CHANNEL_ID}>" in text and "Europe/Berlin" in text and "30m" in text
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.timezone == "Europe/Berlin" and schedule.reveal_after == timedelta(minutes=30)


async def test_setup_needs_manage_server_even_if_defaults_were_overridden(
    world: DiscordWorld,
) -> None:
    (response,) = await world.command(
        "daily setup", permissions=EVERYONE, channel=CHANNEL_ID, time_of_day="09:00", timezone="UTC"
    )
    assert is_ephemeral(response)
    assert "Manage Server" in text_of(response)
    assert await world.harness.services.schedules.in_space(HERE.space_key) == []


@pytest.mark.parametrize("sub", ["show", "pause", "resume", "remove", "now", "reveal", "reports"])
async def test_every_daily_subcommand_checks_the_permission(world: DiscordWorld, sub: str) -> None:
    (response,) = await world.command(f"daily {sub}", permissions=EVERYONE)
    assert "Manage Server" in text_of(response) and is_ephemeral(response)


async def test_setup_refuses_a_channel_the_bot_cannot_post_in(world: DiscordWorld) -> None:
    (response,) = await setup_daily(world, channel=LOCKED_CHANNEL_ID)
    text = text_of(response)
    assert "cannot post" in text and "Send Messages" in text
    assert await world.harness.services.schedules.in_space(HERE.space_key) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"time_of_day": "25:00"}, "25:00"),
        ({"reveal_after": "3 days"}, "not a duration"),
        ({"reveal_after": "48h"}, "between 1 minute and 24 hours"),
        ({"days": "someday"}, "someday"),
        ({"topics": "astrology"}, "unknown topic astrology"),
    ],
)
async def test_bad_setup_arguments_say_what_is_allowed(
    world: DiscordWorld, options: dict[str, str], message: str
) -> None:
    (response,) = await setup_daily(world, **options)
    assert is_ephemeral(response)
    assert message in text_of(response)
    assert await world.harness.services.schedules.in_space(HERE.space_key) == []


async def test_a_round_on_discord_survives_a_restart(world: DiscordWorld) -> None:
    await setup_daily(world, reveal_after="30m")
    await world.harness.move_to(NINE)

    (body,) = world.fake.sent()
    assert body["allowed_mentions"] == {"parse": []}
    embed = body["embeds"][0]
    assert world.harness.platform.posted == []  # posted through Discord, not the test platform
    assert embed["title"].startswith("Daily question #")
    reveal_ts = int((NINE + timedelta(minutes=30)).timestamp())
    assert f"<t:{reveal_ts}:R>" in text_of({"data": body})
    ids = custom_ids(body)
    assert len(ids) == 4 and all(i.startswith("studybot:answer:") for i in ids)

    message = world.posted_message()
    open_round = await world.harness.services.rounds.open_round(HERE)
    correct = open_round.question.answer
    wrong = next(letter for letter in "abcd" if letter != correct)

    (first,) = await world.click(message, ids["abcd".index(correct)], user_id=ALICE, name="Alice")
    assert is_ephemeral(first)
    assert f"Locked in: **{correct.upper()}**" in text_of(first)
    (again,) = await world.click(message, ids["abcd".index(wrong)], user_id=ALICE, name="Alice")
    assert f"already chose **{correct.upper()}**" in text_of(again)

    await world.harness.restart()  # a new process: nothing registered for this round
    (late,) = await world.click(message, ids["abcd".index(wrong)], user_id=BOB, name="Bob")
    assert "Locked in" in text_of(late)

    await world.harness.move_to(NINE + timedelta(minutes=30))
    (edit,) = world.fake.edits()
    assert edit.payload is not None
    buttons = [c for row in edit.payload["components"] for c in row["components"]]
    assert buttons and all(b["disabled"] for b in buttons)
    reveal = world.fake.sent()[-1]
    text = text_of({"data": reveal})
    assert f"Answer to question #{open_round.id}: {correct.upper()}" in text
    assert open_round.question.explanation[:40] in text
    assert "50% of 2 answers" in text and "Alice" in text
    assert reveal["message_reference"]["fail_if_not_exists"] is False

    (closed,) = await world.click(message, ids[0], user_id=960_000_000_000_000_099, name="Carol")
    assert "closed" in text_of(closed)


async def test_now_and_reveal_answer_after_deferring(world: DiscordWorld) -> None:
    deferred, followup = await world.command("daily now", permissions=MANAGER)
    assert deferred["type"] == 5 and deferred["data"]["flags"] & 64
    assert "Posted question #" in text_of(followup)
    assert len(world.fake.sent()) == 1
    _, revealed = await world.command("daily reveal", permissions=MANAGER)
    assert "Revealed question #" in text_of(revealed)
    assert "Answer to question" in text_of({"data": world.fake.sent()[-1]})
    _, nothing = await world.command("daily reveal", permissions=MANAGER)
    assert "no open round" in text_of(nothing)


async def test_missing_permission_marks_the_schedule_and_show_explains(world: DiscordWorld) -> None:
    await setup_daily(world)
    world.fake.fail[("POST", f"/channels/{CHANNEL_ID}/messages")] = http_error(403)
    await world.harness.move_to(NINE)
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.failing is not None and "missing permission" in schedule.failing
    (shown,) = await world.command("daily show", permissions=MANAGER)
    assert "Send Messages" in text_of(shown) and "Problem" in text_of(shown)


async def test_a_transient_discord_error_is_retried(world: DiscordWorld) -> None:
    await setup_daily(world)
    world.fake.fail[("POST", f"/channels/{CHANNEL_ID}/messages")] = http_error(503)
    await world.harness.move_to(NINE)
    assert world.fake.sent() == []
    del world.fake.fail[("POST", f"/channels/{CHANNEL_ID}/messages")]
    await world.harness.advance(timedelta(minutes=5))
    assert len(world.fake.sent()) == 1


async def test_deleted_channel_and_removed_guild_disable_schedules(world: DiscordWorld) -> None:
    await setup_daily(world)
    state = world.bot._connection
    state.parse_channel_delete({"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID)})  # type: ignore[typeddict-item]
    await world.harness.settle()
    for _ in range(50):
        schedule = await world.harness.services.schedules.get(HERE)
        if schedule.paused:
            break
        await world.harness.settle()
    assert schedule.paused and schedule.failing == "the channel was deleted"


async def test_show_lists_the_servers_schedules_from_another_channel(world: DiscordWorld) -> None:
    (none,) = await world.command("daily show", permissions=MANAGER)
    assert "no daily question" in text_of(none)
    await setup_daily(world)
    (shown,) = await world.command("daily show", permissions=MANAGER)
    assert "09:00 UTC" in text_of(shown)


async def test_pause_resume_remove(world: DiscordWorld) -> None:
    await setup_daily(world)
    (paused,) = await world.command("daily pause", permissions=MANAGER)
    assert "paused" in text_of(paused)
    (again,) = await world.command("daily pause", permissions=MANAGER)
    assert "already paused" in text_of(again)
    (resumed,) = await world.command("daily resume", permissions=MANAGER)
    assert "running again" in text_of(resumed)
    (removed,) = await world.command("daily remove", permissions=MANAGER)
    assert "removed" in text_of(removed)
    (gone,) = await world.command("daily remove", permissions=MANAGER)
    assert "no daily question" in text_of(gone)


async def test_autocomplete_time_zones_and_topics(world: DiscordWorld) -> None:
    zones = await world.autocomplete("daily setup", "timezone", timezone="europe/be")
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in zones
    assert len(zones) <= 25
    topics = await world.autocomplete("daily setup", "topics", topics="evaluation,en")
    assert [t["value"] for t in topics] == ["evaluation,ensembles"]


async def test_an_unexpected_failure_is_logged_and_answered(
    world: DiscordWorld, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.harness.services.reports, "open_reports", broken)
    with caplog.at_level(logging.ERROR):
        (response,) = await world.command("daily reports", permissions=MANAGER)
    assert is_ephemeral(response)
    assert "Something went wrong" in text_of(response)
    assert "database on fire" not in text_of(response)
    record = next(r for r in caplog.records if "failed" in r.getMessage())
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


async def test_a_failing_button_answers_privately_and_logs(
    world: DiscordWorld, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.command("daily now", permissions=MANAGER)
    message = world.posted_message()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(world.harness.services.rounds, "answer", broken)
    with caplog.at_level(logging.ERROR):
        (response,) = await world.click(
            message, custom_ids(message)[0], user_id=ALICE, name="Alice"
        )
    assert is_ephemeral(response) and "Something went wrong" in text_of(response)
    assert any("disk full" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_a_button_for_an_unknown_round_is_refused_politely(world: DiscordWorld) -> None:
    await world.command("daily now", permissions=MANAGER)
    message = world.posted_message()
    forged = "studybot:answer:424242:a"
    message["components"][0]["components"][0]["custom_id"] = forged
    (response,) = await world.click(message, forged, user_id=ALICE, name="Alice")
    assert "no longer in play" in text_of(response)


async def test_weekly_recap_is_posted_as_an_embed(world: DiscordWorld) -> None:
    await setup_daily(world, reveal_after="30m")
    await world.harness.move_to(NINE)
    message = world.posted_message()
    round_ = await world.harness.services.rounds.open_round(HERE)
    ids = custom_ids(message)
    await world.click(
        message, ids["abcd".index(round_.question.answer)], user_id=ALICE, name="Alice"
    )
    next_monday = MONDAY_8AM.replace(hour=0) + timedelta(days=7)
    await world.harness.move_to(next_monday + timedelta(minutes=1))
    recaps = [b for b in world.fake.sent() if "Weekly recap" in text_of({"data": b})]
    assert len(recaps) == 1
    text = text_of({"data": recaps[0]})
    assert "Alice" in text and recaps[0]["allowed_mentions"] == {"parse": []}


async def test_removing_the_bot_from_the_server_pauses_its_schedules(world: DiscordWorld) -> None:
    await setup_daily(world)
    world.bot._connection.parse_guild_delete({"id": str(GUILD_ID)})  # type: ignore[typeddict-item]
    for _ in range(50):
        await world.harness.settle()
        schedule = await world.harness.services.schedules.get(HERE)
        if schedule.paused:
            break
    assert schedule.paused and schedule.failing == "the bot was removed from this server"
    await world.harness.move_to(NINE)
    assert world.fake.sent() == []


async def test_an_answer_slowed_by_a_held_write_lock_is_deferred_then_followed_up(
    world: DiscordWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord's 3-second rule: when recording the answer takes too long (here
    the write lock is held, as a big reveal elsewhere once did), the click is
    acknowledged first and the answer's reply follows, instead of failing."""
    from bot.adapters.discord import replies

    await world.command("daily now", permissions=MANAGER)
    message = world.posted_message()
    monkeypatch.setattr(replies, "DEFER_AFTER_S", 0.0)
    runtime = world.harness.runtime
    assert runtime is not None
    release = asyncio.Event()
    holding = asyncio.Event()

    async def hold_the_lock() -> None:
        async with runtime.db.write():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_lock())
    await holding.wait()
    payload = world.click_payload(message, custom_ids(message)[0], user_id=ALICE, name="Alice")
    iid = int(payload["id"])
    world.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await world.fake.wait_for(lambda _: bool(world.fake.responses(iid)))
    (first,) = world.fake.responses(iid)
    assert first["type"] == 5 and first["data"]["flags"] & 64  # "thinking", private
    release.set()
    await holder
    await world.fake.wait_for(lambda _: len(world.fake.responses(iid)) == 2)
    followup = world.fake.responses(iid)[1]
    assert followup["type"] == "followup" and is_ephemeral(followup)
    assert "Locked in: **A**" in text_of(followup)
    stored = await world.harness.services.rounds.open_round(HERE)
    assert stored is not None
    assert await runtime.store.round_answer_count(stored.id) == 1


async def test_a_quick_answer_is_one_response_without_deferring(world: DiscordWorld) -> None:
    await world.command("daily now", permissions=MANAGER)
    message = world.posted_message()
    responses = await world.click(message, custom_ids(message)[1], user_id=BOB, name="Bob")
    assert [r["type"] for r in responses] == [4]
