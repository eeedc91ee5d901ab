"""First contact: help, and a command that needs nothing but the bank."""

from __future__ import annotations

from tests.slack_adapter.world import SlackWorld, text_of


async def test_help_and_topics(world: SlackWorld) -> None:
    reply = await world.command("help")
    assert reply["response_type"] == "ephemeral"
    assert "/studybot daily setup" in text_of(reply)
    topics = await world.command("topics")
    assert "evaluation" in text_of(topics) and "ensembles" in text_of(topics)
