"""/remind on Discord: private replies, the DM itself through the real platform,
and a user whose DMs are closed switched off without a word; and /stats with
its chart attached."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.discord.ids import PLATFORM
from bot.core.models import UserRef
from tests.discord_adapter.fakes import http_error
from tests.discord_adapter.test_commands import ALICE, BOB
from tests.discord_adapter.world import DEFERRED, DiscordWorld, is_ephemeral, text_of
from tests.test_charts import check_png
from tests.test_reminders import due_card

ME = UserRef(PLATFORM, str(ALICE), "Alice")


async def test_on_status_and_off_reply_privately(world: DiscordWorld) -> None:
    (off,) = await world.command("remind status", user_id=ALICE)
    assert is_ephemeral(off) and "Your daily reminder is off" in text_of(off)
    (on,) = await world.command("remind on", user_id=ALICE, time="08:30", timezone="Europe/Berlin")
    assert is_ephemeral(on)
    text = text_of(on)
    assert "Daily reminder **on** at 08:30 Europe/Berlin" in text
    next_at = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 08:30 CET
    assert f"<t:{int(next_at.timestamp())}:R>" in text
    (status,) = await world.command("remind status", user_id=ALICE)
    assert "08:30 Europe/Berlin" in text_of(status)
    (stopped,) = await world.command("remind off", user_id=ALICE)
    assert is_ephemeral(stopped) and "Daily reminder off" in text_of(stopped)
    (again,) = await world.command("remind off", user_id=ALICE)
    assert is_ephemeral(again) and "already off" in text_of(again)


async def test_bad_values_get_the_daily_setup_messages(world: DiscordWorld) -> None:
    (bad_time,) = await world.command("remind on", user_id=ALICE, time="25:61")
    assert is_ephemeral(bad_time) and "'25:61' is not a time of day" in text_of(bad_time)
    (bad_zone,) = await world.command("remind on", user_id=ALICE, timezone="Mars/Base")
    assert "'Mars/Base' is not an IANA time zone" in text_of(bad_zone)
    assert await world.harness.services.reminders.get(ME) is None
    choices = await world.autocomplete("remind on", "timezone", timezone="Europe/Ber")
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices


async def test_it_works_in_direct_messages_too(world: DiscordWorld) -> None:
    (on,) = await world.command("remind on", user_id=ALICE, guild=False, time="7:00")
    assert is_ephemeral(on) and "07:00 UTC" in text_of(on)


async def test_the_reminder_arrives_as_a_direct_message(world: DiscordWorld) -> None:
    await due_card(world.harness, ME)
    await world.command("remind on", user_id=ALICE, time="09:00", timezone="UTC")
    await world.harness.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    calls = [(c.method, c.path) for c in world.fake.calls]
    assert ("GET", f"/users/{ALICE}") in calls and ("POST", "/users/@me/channels") in calls
    (dm,) = [
        c.payload or {}
        for c in world.fake.calls
        if c.method == "POST" and c.path.startswith("/channels/") and c.path.endswith("/messages")
    ]
    assert dm["content"].startswith("1 card is due for review today")
    assert dm["allowed_mentions"] == {"parse": []}


async def test_closed_direct_messages_switch_it_off_quietly(world: DiscordWorld) -> None:
    await due_card(world.harness, ME)
    await world.command("remind on", user_id=ALICE, time="09:00", timezone="UTC")
    # Discord's answer to a DM to someone who does not accept them: 403 (50007).
    world.fake.fail[("POST", "/channels/")] = http_error(403, "Cannot send messages to this user")
    await world.harness.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    reminder = await world.harness.services.reminders.get(ME)
    assert reminder is not None and not reminder.enabled
    (status,) = await world.command("remind status", user_id=ALICE)
    assert "Your daily reminder is off" in text_of(status)


# ---- /stats with the chart (it shares the due-card set-up) ----------------------


async def test_own_stats_attach_the_chart(world: DiscordWorld) -> None:
    await due_card(world.harness, ME)
    responses = await world.command("stats", user_id=ALICE, display="Alice")
    assert responses[0]["type"] == DEFERRED and is_ephemeral(responses[0])
    final = responses[-1]
    assert final["type"] == "followup" and final["data"]["flags"] & 64  # still private
    text = text_of(final)
    assert "Drills: 0/1 correct" in text and "Reviews:" in text
    assert "evaluation — 0% mastered (0/3), 0% right" in text
    (embed,) = final["data"]["embeds"]
    assert embed["image"]["url"] == "attachment://studybot-progress.png"
    ((name, png),) = world.fake.files
    assert name == "studybot-progress.png"
    check_png(png, "Progress — Alice")


async def test_someone_elses_stats_have_no_chart_and_no_private_numbers(
    world: DiscordWorld,
) -> None:
    await due_card(world.harness, ME)
    (theirs,) = await world.command("stats", user_id=BOB, display="Bob", user=ALICE)
    assert is_ephemeral(theirs)
    text = text_of(theirs)
    assert "Drills:" not in text and "Reviews:" not in text and "Mastery" not in text
    assert "private practice" in text and world.fake.files == []
    (fresh,) = await world.command("stats", user_id=BOB, display="Bob")
    assert "chart appears after your first" in text_of(fresh) and world.fake.files == []
