"""A whole daily round on Slack: set up, post, answer, restart, reveal, late click."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.adapters.slack.ids import channel_ref
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID
from tests.discord_adapter.world import DiscordWorld
from tests.helpers import Harness
from tests.slack_adapter.fake_api import ADMIN, CHANNEL, MEMBER, SECOND, TEAM
from tests.slack_adapter.world import SlackWorld, text_of

HERE = channel_ref(TEAM, CHANNEL)


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_a_full_round(world: SlackWorld) -> None:
    fake, harness = world.fake, world.harness
    setup = await world.command("daily setup 09:30 Europe/Berlin reveal=30m days=daily", user=ADMIN)
    assert "Daily question scheduled in <#C0DAILY01>" in text_of(setup)
    assert "09:30 Europe/Berlin" in text_of(setup)

    # 08:00 UTC on Monday is 09:00 in Berlin; the post is due at 08:30 UTC.
    await harness.advance(timedelta(minutes=30))
    (posted,) = fake.of("chat.postMessage")
    assert posted["channel"] == CHANNEL
    round_ = await harness.services.rounds.open_round(HERE)
    assert round_ is not None
    letters = round_.question.letters()
    assert action_ids(posted) == [f"studybot:answer:{round_.id}:{x}" for x in letters]
    assert "<!date^" in text_of(posted)  # the reveal time in each reader's zone
    assert round_.message_id is not None

    right = round_.question.answer
    wrong = next(x for x in letters if x != right)
    first = await world.click(f"studybot:answer:{round_.id}:{right}", user=MEMBER)
    assert first is not None and first["response_type"] == "ephemeral"
    assert first["replace_original"] is False
    assert f"Locked in: *{right.upper()}*" in text_of(first)
    again = await world.click(f"studybot:answer:{round_.id}:{wrong}", user=MEMBER)
    assert again is not None and f"You already chose *{right.upper()}*" in text_of(again)

    # A new process on the same database: the old message's buttons still count.
    await harness.restart()
    after = await world.click(f"studybot:answer:{round_.id}:{wrong}", user=SECOND, name="bea")
    assert after is not None and f"Locked in: *{wrong.upper()}*" in text_of(after)

    await harness.advance(timedelta(minutes=30))
    (update,) = fake.of("chat.update")
    assert update["channel"] == CHANNEL and update["ts"] == round_.message_id
    assert action_ids(update) == []
    assert "Answers are closed" in text_of(update)
    reveal = fake.of("chat.postMessage")[-1]
    assert reveal["thread_ts"] == round_.message_id
    assert reveal["reply_broadcast"] in (True, "true", "1")
    shown = text_of(reveal)
    assert f"Answer to question #{round_.id}: {right.upper()}" in shown
    assert "50% of 2 answers" in shown
    assert "First correct: " + MEMBER.lower() in shown

    late = await world.click(f"studybot:answer:{round_.id}:{right}", user="U0LATE001")
    assert late is not None and "Answering has closed" in text_of(late)
    assert await harness.services.rounds.store.round_answer_count(round_.id) == 2


async def test_an_invalid_round_in_an_action_id_is_answered_kindly(world: SlackWorld) -> None:
    reply = await world.click("studybot:answer:999999:a")
    assert reply is not None and "no longer in play" in text_of(reply)


async def test_one_process_routes_rounds_to_discord_and_slack(
    world: SlackWorld, tmp_path: Any
) -> None:
    """Both adapters on one runtime: each round goes to its own platform."""
    harness: Harness = world.harness
    discord = DiscordWorld(harness)
    await harness.restart()
    await harness.services.rounds.post_now(HERE)
    from bot.adapters.discord.ids import channel_ref as discord_channel

    await harness.services.rounds.post_now(discord_channel(GUILD_ID, CHANNEL_ID))
    assert [p["channel"] for p in world.fake.of("chat.postMessage")] == [CHANNEL]
    sent = [c for c in discord.fake.calls if c.method == "POST" and "/messages" in c.path]
    assert len(sent) == 1 and str(CHANNEL_ID) in sent[0].path
    assert discord.client is not None
    await discord.client.close()
