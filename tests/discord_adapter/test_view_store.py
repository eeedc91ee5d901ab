"""discord.py keeps a sent message's view in memory when it has buttons to
dispatch, unless every button is a DynamicItem. A year of daily posts to
1,000 channels is 365,000 messages, so the daily question's buttons must
never be remembered per message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord

from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID
from tests.discord_adapter.world import MANAGER, DiscordWorld, custom_ids, text_of
from tests.helpers import MONDAY_8AM

DAYS = 40
MEMBER = 960_000_000_000_000_077


def held(world: DiscordWorld) -> dict[str, int]:
    store = world.bot._connection._view_store
    return {
        "views": sum(len(items) for items in store._views.values()),
        "message_views": len(store._synced_message_views),
        "dynamic_patterns": len(store._dynamic_items),
    }


async def test_daily_posts_leave_nothing_in_the_view_store(world: DiscordWorld) -> None:
    await world.command(
        "daily setup",
        permissions=MANAGER,
        channel=CHANNEL_ID,
        time_of_day="09:00",
        timezone="UTC",
        reveal_after="30m",
    )
    before = held(world)
    nine = MONDAY_8AM.replace(hour=9)
    for day in range(DAYS):
        await world.harness.move_to(nine + timedelta(days=day))
        message = world.posted_message()
        (reply,) = await world.click(message, custom_ids(message)[0], user_id=MEMBER, name="Ann")
        assert "Locked in" in text_of(reply)
        await world.harness.move_to(nine + timedelta(days=day, minutes=30))  # the reveal
    questions = [b for b in world.fake.sent() if b["embeds"][0]["title"].startswith("Daily")]
    assert len(questions) == DAYS
    assert len(world.fake.edits()) == DAYS  # every round's buttons were closed by an edit
    # One pattern per DynamicItem class: answer, drill, privacy delete, review.
    assert held(world) == before  # the dynamic-item patterns are registered once, at start
    assert before["views"] == before["message_views"] == 0


async def test_the_probe_sees_a_view_that_is_kept_per_message(world: DiscordWorld) -> None:
    """The same measure notices a message whose buttons are ordinary persistent ones."""
    view: discord.ui.View = discord.ui.View(timeout=None)
    button: discord.ui.Button[Any] = discord.ui.Button(label="A", custom_id="plain:a")
    view.add_item(button)
    channel = world.bot.get_partial_messageable(CHANNEL_ID, guild_id=GUILD_ID)
    await channel.send("kept", view=view)
    assert held(world)["message_views"] == 1 and held(world)["views"] == 1
