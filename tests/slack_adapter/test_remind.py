"""``/studybot remind`` on Slack: private replies, the reminder in the app's
Messages tab, and who gets switched off when Slack refuses; and ``stats``
with its chart sent as a file."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.slack.ids import user_ref
from tests.slack_adapter.fake_api import MEMBER, SECOND, Failure
from tests.slack_adapter.world import SlackWorld, text_of
from tests.test_charts import check_png
from tests.test_reminders import due_card

ME = user_ref(MEMBER, MEMBER.lower())
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_on_show_and_off(world: SlackWorld) -> None:
    shown = await world.command("remind")
    assert shown["response_type"] == "ephemeral"
    assert "Your daily reminder is off" in text_of(shown)
    on = await world.command("remind on 08:30 Europe/Berlin")
    assert on["response_type"] == "ephemeral"
    text = text_of(on)
    assert "Daily reminder *on* at 08:30 Europe/Berlin" in text
    next_at = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert f"<!date^{int(next_at.timestamp())}^" in text
    assert "08:30 Europe/Berlin" in text_of(await world.command("remind"))
    off = await world.command("remind off")
    assert off["response_type"] == "ephemeral" and "Daily reminder off" in text_of(off)
    assert "already off" in text_of(await world.command("remind off"))


async def test_bad_arguments_say_what_is_allowed(world: SlackWorld) -> None:
    for text, hint in (
        ("remind on 25:00", "'25:00' is not a time of day"),
        ("remind on 09:00 Mars/Base", "is not an IANA time zone"),
        ("remind sometimes", "Usage: /studybot remind on [HH:MM] [TIMEZONE]"),
        ("remind on 9:00 10:00", "Usage: /studybot remind on"),
    ):
        reply = await world.command(text)
        assert reply["response_type"] == "ephemeral" and hint in text_of(reply), text
    assert await world.harness.services.reminders.get(ME) is None


async def test_the_reminder_lands_in_the_messages_tab(world: SlackWorld) -> None:
    await due_card(world.harness, ME)
    await world.command("remind on 9:00 UTC")
    await world.harness.move_to(NINE)
    (sent,) = world.fake.of("chat.postMessage")
    assert sent["channel"] == MEMBER
    assert sent["text"].startswith("1 card is due for review today. Run /studybot review")
    assert "/studybot remind off" in sent["text"]


async def test_a_user_slack_refuses_is_switched_off_the_app_is_not(world: SlackWorld) -> None:
    await due_card(world.harness, ME)
    await world.command("remind on 9:00 UTC")
    # The app's own problem is fixed for everyone at once: the reminder stays on.
    world.fake.fail("chat.postMessage", Failure("token_revoked"))
    await world.harness.move_to(NINE)
    reminder = await world.harness.services.reminders.get(ME)
    assert reminder is not None and reminder.enabled and reminder.last_sent is None
    # A refusal about this person: off, quietly.
    world.fake.fail("chat.postMessage", Failure("user_disabled"))
    await world.harness.move_to(datetime(2026, 11, 23, 9, 5, tzinfo=UTC))  # the retry
    reminder = await world.harness.services.reminders.get(ME)
    assert reminder is not None and not reminder.enabled
    assert [c["channel"] for c in world.fake.of("chat.postMessage")] == [MEMBER, MEMBER]
    assert "Your daily reminder is off" in text_of(await world.command("remind"))


async def test_help_lists_remind(world: SlackWorld) -> None:
    assert "/studybot remind on" in text_of(await world.command("help"))


# ---- /studybot stats with the chart (it shares the due-card set-up) ---------------


async def test_own_stats_send_the_chart_to_the_messages_tab(world: SlackWorld) -> None:
    await due_card(world.harness, ME)
    reply = await world.command("stats")
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply)
    assert "Drills" in text and "Reviews" in text and " cards" in text
    assert "evaluation — 0% mastered (0/3), 0% right" in text
    assert "chart is in your messages with me" in text
    (opened,) = world.fake.of("conversations.open")
    assert opened["users"] == MEMBER
    ((_, png),) = world.fake.uploads.items()
    check_png(png, "Progress — u0membr01")


async def test_someone_elses_stats_send_nothing_private(world: SlackWorld) -> None:
    await due_card(world.harness, ME)
    reply = await world.command(f"stats <@{MEMBER}|ann>", user=SECOND)
    text = text_of(reply)
    assert "Stats — ann" in text and "private practice" in text
    assert "Drills" not in text.replace("Drills and reviews", "") and "Mastery" not in text
    assert world.fake.uploads == {} and world.fake.of("conversations.open") == []
    fresh = text_of(await world.command("stats", user=SECOND))
    assert "chart appears after your first" in fresh and world.fake.uploads == {}
