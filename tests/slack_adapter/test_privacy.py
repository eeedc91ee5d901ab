"""/studybot privacy: what is stored, a JSON file in the user's messages, a confirmed erase."""

from __future__ import annotations

import json

from bot.adapters.slack.ids import user_ref
from tests.slack_adapter.fake_api import ADMIN, CHANNEL, MEMBER, SECOND, TEAM
from tests.slack_adapter.world import SlackWorld, text_of


async def one_round(world: SlackWorld) -> None:
    from bot.adapters.slack.ids import channel_ref

    await world.command("daily now", user=ADMIN)
    round_ = await world.harness.services.rounds.open_round(channel_ref(TEAM, CHANNEL))
    for who in (MEMBER, SECOND):
        await world.click(f"studybot:answer:{round_.id}:{round_.question.answer}", user=who)
    await world.command("daily reveal", user=ADMIN)


async def test_about_and_export(world: SlackWorld) -> None:
    await one_round(world)
    about = await world.command("privacy", user=MEMBER)
    assert "studybot keeps" in text_of(about) and "/studybot privacy export" in text_of(about)
    sent = await world.command("privacy export", user=MEMBER)
    assert "in your messages with me" in text_of(sent)
    (opened,) = world.fake.of("conversations.open")
    assert opened["users"] == MEMBER
    (content,) = world.fake.uploads.values()
    data = json.loads(content)
    assert data["user"]["id"] == MEMBER and len(data["answers"]) == 1
    (completed,) = world.fake.of("files.completeUploadExternal")
    assert completed["channel_id"] == "D" + MEMBER[1:]
    bad = await world.command("privacy everything", user=MEMBER)
    assert "Usage: /studybot privacy [export|delete]" in text_of(bad)


async def test_delete_needs_its_owner_to_confirm(world: SlackWorld) -> None:
    await one_round(world)
    asked = await world.command("privacy delete", user=MEMBER)
    assert "for good" in text_of(asked)
    (button,) = [
        e["action_id"] for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    stranger = await world.click(button, user=SECOND)
    assert stranger is not None and "someone else's data" in text_of(stranger)
    privacy = world.harness.services.privacy
    assert (await privacy.export(user_ref(MEMBER)))["answers"]
    done = await world.click(button, user=MEMBER)
    assert done is not None and done["replace_original"] is True
    assert "Erased 1 answers, 6 scores" in text_of(done)
    assert (await privacy.export(user_ref(MEMBER)))["answers"] == []
    assert (await privacy.export(user_ref(SECOND)))["answers"]
