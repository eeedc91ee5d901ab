from __future__ import annotations

from tests.discord_adapter.world import DiscordWorld, is_ephemeral, text_of


async def test_help(world: DiscordWorld) -> None:
    (response,) = await world.command("help")
    assert response["type"] == 4
    assert is_ephemeral(response)
    assert "/drill" in text_of(response)
