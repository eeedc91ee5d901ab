"""The daily question and its reveal carry a nonce Discord enforces, so a post
retried after a crash, or by another process, shows once. What is checked is
the payload that reaches the faked HTTP edge, i.e. what Discord would get."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.adapters.discord.ids import channel_ref
from bot.adapters.discord.platform import (
    NONCE_LIMIT,
    QUESTION_POST,
    REVEAL_POST,
    DiscordPlatform,
    post_nonce,
)
from bot.core.models import Round
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID
from tests.discord_adapter.world import MANAGER, DiscordWorld

HERE = channel_ref(GUILD_ID, CHANNEL_ID)


def nonce_of(payload: dict[str, Any]) -> str:
    assert payload.get("enforce_nonce") is True, payload.keys()
    nonce = payload["nonce"]
    assert isinstance(nonce, str) and 0 < len(nonce) <= NONCE_LIMIT
    return nonce


async def open_round(world: DiscordWorld) -> Round:
    round_: Round | None = await world.harness.services.rounds.open_round(HERE)
    assert round_ is not None
    return round_


async def test_the_question_and_the_reveal_carry_their_round_s_nonce(world: DiscordWorld) -> None:
    await world.command("daily now", permissions=MANAGER)
    round_ = await open_round(world)
    (question,) = world.fake.sent()
    assert nonce_of(question) == post_nonce(QUESTION_POST, round_)

    await world.harness.advance(timedelta(minutes=1))
    await world.command("daily reveal", permissions=MANAGER)
    _, reveal = world.fake.sent()
    assert "message_reference" in reveal  # the reveal, a reply to the question
    assert nonce_of(reveal) == post_nonce(REVEAL_POST, round_)
    assert nonce_of(reveal) != nonce_of(question)


async def test_a_repeated_post_of_a_round_repeats_its_nonce_even_from_a_new_process(
    world: DiscordWorld,
) -> None:
    await world.command("daily now", permissions=MANAGER)
    round_ = await open_round(world)
    # A new process: a new client and services, the round read back from the database.
    await world.harness.restart()
    again = await world.harness.services.rounds.store.get_round(round_.id)
    assert again is not None and again is not round_
    platform = DiscordPlatform(world.bot)
    await platform.post_question(again)
    await platform.post_question(again)
    first, second, third = (nonce_of(p) for p in world.fake.sent())
    assert first == second == third


async def test_different_rounds_post_with_different_nonces(world: DiscordWorld) -> None:
    for _ in range(3):
        await world.command("daily now", permissions=MANAGER)
        await world.harness.advance(timedelta(minutes=1))
        await world.command("daily reveal", permissions=MANAGER)
    nonces = [nonce_of(p) for p in world.fake.sent()]
    assert len(nonces) == 6 and len(set(nonces)) == 6  # 3 questions, 3 reveals


async def test_the_nonce_fits_discord_s_limit_for_any_round_id(world: DiscordWorld) -> None:
    await world.command("daily now", permissions=MANAGER)
    round_ = await open_round(world)
    biggest = replace(round_, id=2**63 - 1)
    for kind in (QUESTION_POST, REVEAL_POST):
        nonce = post_nonce(kind, biggest)
        assert len(nonce) <= NONCE_LIMIT and nonce.startswith(kind)
    # Same id in another channel (another database behind the same token): no clash.
    elsewhere = replace(round_, channel=channel_ref(GUILD_ID, CHANNEL_ID + 1))
    assert post_nonce(QUESTION_POST, elsewhere) != post_nonce(QUESTION_POST, round_)
