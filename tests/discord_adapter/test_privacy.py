"""/privacy on Discord: a file with everything, and a delete only its owner can confirm."""

from __future__ import annotations

import json

from bot.adapters.discord.ids import PLATFORM
from bot.core.models import UserRef
from tests.discord_adapter.test_commands import ALICE, BOB, play_a_round
from tests.discord_adapter.world import DiscordWorld, custom_ids, is_ephemeral, text_of


async def test_about_and_export(world: DiscordWorld) -> None:
    await play_a_round(world, {ALICE: "Alice"}, right={ALICE})
    (about,) = await world.command("privacy about", user_id=ALICE)
    assert is_ephemeral(about) and "studybot keeps" in text_of(about)
    (export,) = await world.command("privacy export", user_id=ALICE)
    assert is_ephemeral(export)
    ((name, content),) = world.fake.files
    data = json.loads(content)
    assert name == "studybot-data.json" and data["user"]["id"] == str(ALICE)
    assert len(data["answers"]) == 1 and data["streaks"][0]["current"] == 1


async def test_delete_needs_its_owner_and_survives_a_restart(world: DiscordWorld) -> None:
    await play_a_round(world, {ALICE: "Alice", BOB: "Bob"}, right={ALICE, BOB})
    (asked,) = await world.command("privacy delete", user_id=ALICE)
    assert is_ephemeral(asked) and "for good" in text_of(asked)
    message = world.posted_message_from(asked["data"])
    (button,) = custom_ids(message)
    assert button == f"studybot:privacy-delete:{ALICE}"

    (refused,) = await world.click(message, button, user_id=BOB, name="Bob")
    assert is_ephemeral(refused) and "someone else's data" in text_of(refused)
    privacy = world.harness.services.privacy
    assert (await privacy.export(user_ref_of(ALICE)))["answers"]

    await world.harness.restart()  # the confirmation still works in a new process
    (done,) = await world.click(message, button, user_id=ALICE, name="Alice")
    assert "Erased 1 answers, 6 scores" in text_of(done)
    assert done["data"]["components"] == []
    privacy = world.harness.services.privacy
    assert (await privacy.export(user_ref_of(ALICE)))["answers"] == []
    assert (await privacy.export(user_ref_of(BOB)))["answers"]


def user_ref_of(user_id: int) -> UserRef:
    return UserRef(PLATFORM, str(user_id))
