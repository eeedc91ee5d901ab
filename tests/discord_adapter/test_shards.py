"""Several bot processes on one database, each running some gateway shards.

A server's events reach only the process running its shard, and DMs reach only
the one running shard 0. Here two real clients, each with its own runtime, on
one SQLite file, play the two processes: a private drill or review started in
a server on the process with shards 4-7 is continued from a DM on the one with
shard 0, and back. Only Discord's HTTP edge is faked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import discord
import pytest
import time_machine
from discord.ext import commands

from bot.adapters.discord.client import ShardedStudyBot, StudyBot, build_client
from bot.adapters.discord.ids import PLATFORM
from bot.adapters.discord.runner import DiscordLauncher
from bot.adapters.discord.shards import ShardPlan, plan_shards
from bot.app import Services
from bot.config import DatabaseSettings, DiscordSettings, Settings
from bot.core.models import UserRef
from bot.core.sharding import shard_of
from tests.discord_adapter.fakes import APP_ID, BOT_ID, GUILD_ID, FakeDiscord, user_payload
from tests.discord_adapter.world import DiscordWorld, custom_ids, is_ephemeral, text_of
from tests.helpers import Harness

ALICE = 960_000_000_000_000_031
ME = UserRef(PLATFORM, str(ALICE), "Alice")
EDITED = 7  # an interaction answered by editing the message its button is on
UPPER = ShardPlan((4, 5, 6, 7), 8)
LOWER = ShardPlan((0, 1, 2, 3), 8)


def sharded(plan: ShardPlan) -> Any:
    def make(services: Services) -> StudyBot:
        return build_client(services, shards=plan)

    return make


@pytest.fixture
async def pair(
    tmp_path: Path, traveller: time_machine.Traveller
) -> AsyncIterator[tuple[DiscordWorld, DiscordWorld]]:
    """Process A runs shards 4-7 (the test server's), B runs 0-3 (and so DMs)."""
    path = tmp_path / "shared.sqlite3"
    fake = FakeDiscord()  # one Discord for both: interaction replies land in one place
    upper = DiscordWorld(Harness(path, traveller), fake)
    upper.make_client = sharded(UPPER)
    lower = DiscordWorld(Harness(path, traveller), fake)
    lower.make_client = sharded(LOWER)
    await upper.harness.start()
    await lower.harness.start()
    # B's gateway never delivered the test server: it lives on shard 6.
    state = lower.bot._connection
    guild = state._get_guild(GUILD_ID)
    assert guild is not None
    state._remove_guild(guild)
    yield upper, lower
    for world in (upper, lower):
        if world.client is not None:
            await world.client.close()
        await world.harness.stop()


def in_dm(message: dict[str, Any], custom_id: str, world: DiscordWorld) -> dict[str, Any]:
    """A click on ``custom_id`` that arrives without a server, as from a DM."""
    return world.click_payload(message, custom_id, user_id=ALICE, name="Alice", guild=False)


def private(response: dict[str, Any], world: DiscordWorld) -> dict[str, Any]:
    """The ephemeral message a response created or edited, as a later click carries it."""
    return {**world.posted_message_from(response["data"]), "flags": 64}


async def test_the_pair_runs_what_it_claims(pair: tuple[DiscordWorld, DiscordWorld]) -> None:
    upper, lower = pair
    assert isinstance(upper.bot, ShardedStudyBot) and isinstance(lower.bot, ShardedStudyBot)
    assert upper.bot.shard_ids == [4, 5, 6, 7] and lower.bot.shard_ids == [0, 1, 2, 3]
    assert shard_of(GUILD_ID, 8) in upper.bot.shard_ids  # the test server is A's
    assert upper.bot.get_guild(GUILD_ID) is not None and lower.bot.get_guild(GUILD_ID) is None


async def test_a_drill_started_in_a_server_continues_from_a_dm_on_another_process(
    pair: tuple[DiscordWorld, DiscordWorld],
) -> None:
    upper, lower = pair
    (start,) = await upper.command("drill", user_id=ALICE, display="Alice", count=2)
    assert is_ephemeral(start) and "question 1 of 2" in text_of(start)
    session = await upper.harness.services.drills.store.get_drill(1)
    first, second = session.questions
    message = private(start, upper)
    right = custom_ids(message)["abcd".index(first.answer)]

    # The next click reaches the other process only, from a DM.
    (feedback,) = await lower.send(in_dm(message, right, lower))
    assert feedback["type"] == EDITED
    text = text_of(feedback)
    assert "✅ Correct" in text and "question 2 of 2" in text and second.prompt in text

    # B's answer is A's too: A refuses the same click as already answered...
    (again,) = await upper.click(message, right, user_id=ALICE, name="Alice")
    assert "already answered" in text_of(again)
    # ...and finishes the drill from where B left it.
    next_message = private(feedback, lower)
    wrong = next(letter for letter in "abcd" if letter != second.answer)
    (last,) = await upper.click(
        next_message,
        custom_ids(next_message)["abcd".index(wrong)],
        user_id=ALICE,
        name="Alice",
    )
    assert "Drill finished" in text_of(last) and "1 of 2" in text_of(last)
    totals = await lower.harness.services.drills.totals(session.user)
    assert (totals.answered, totals.correct) == (2, 1)


async def test_a_review_started_in_a_server_continues_from_a_dm_on_another_process(
    pair: tuple[DiscordWorld, DiscordWorld],
) -> None:
    upper, lower = pair
    (start,) = await upper.command("review", user_id=ALICE, display="Alice", count=2)
    message = private(start, upper)
    session_id = int(custom_ids(message)[0].split(":")[2])
    session = await upper.harness.services.reviews.session(session_id, ME)
    item = session.current
    assert item is not None
    action = "show" if item.flashcard else item.question.answer
    (cid,) = [c for c in custom_ids(message) if c.split(":", 4)[4] == action]

    (step,) = await lower.send(in_dm(message, cid, lower))
    assert step["type"] == EDITED
    if item.flashcard:  # the answer, and the four grades to give
        assert item.question.answer[:30] in text_of(step)
        assert [c.split(":", 4)[4] for c in custom_ids(private(step, lower))] == [
            f"grade:{n}" for n in range(1, 5)
        ]
    else:
        assert "✅ Correct" in text_of(step)
    moved = await upper.harness.services.reviews.session(session_id, ME)
    assert (moved.position, moved.revealed) != (session.position, session.revealed)


# -- the client and the launcher, without connecting ----------------------------


def no_services() -> Services:
    return cast(Services, SimpleNamespace())


def test_unsharded_is_a_plain_bot() -> None:
    client = build_client(no_services())
    assert type(client) is StudyBot and not isinstance(client, discord.AutoShardedClient)
    assert client.shard_count is None and client.shard_id is None


@pytest.mark.parametrize(
    ("shards", "count", "ids"),
    [("0-3", 8, [0, 1, 2, 3]), ("4-7", 8, [4, 5, 6, 7]), ("0-1,5", 6, [0, 1, 5]), ("", 2, [0, 1])],
)
def test_sharded_is_an_auto_sharded_bot_on_exactly_those_shards(
    shards: str, count: int, ids: list[int]
) -> None:
    plan = plan_shards(shards, count)
    assert plan is not None
    client = build_client(no_services(), shards=plan, dev_guild=5)
    assert isinstance(client, ShardedStudyBot)  # a StudyBot: the same cogs and buttons
    assert issubclass(type(client), commands.AutoShardedBot)
    assert client.shard_ids == ids and client.shard_count == count
    assert client.dev_guild == 5 and client.intents == discord.Intents(guilds=True)


def launcher_settings(tmp_path: Path, **discord_options: Any) -> Settings:
    return Settings(
        database=DatabaseSettings(path=tmp_path / "db.sqlite3"),
        discord=DiscordSettings(**discord_options),
        DISCORD_TOKEN="MTIz.not-a-real-token.abcdefghijklmnop",
    )


@pytest.mark.parametrize(
    ("options", "label", "logged"),
    [
        ({"shards": "0-3", "shard_count": 8}, "0-3 of 8", "gateway shards 0-3 of 8"),
        ({"shards": "4-7", "shard_count": 8}, "4-7 of 8", "DMs go to the process with shard 0"),
        ({}, "", "not sharded"),
    ],
)
async def test_prepare_labels_the_runtime_and_logs_the_shards(
    tmp_path: Path,
    traveller: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    label: str,
    logged: str,
) -> None:
    async def static_login(self: object, token: str) -> dict[str, object]:
        return user_payload(BOT_ID, "studybot", bot=True)

    async def application_info(self: object) -> SimpleNamespace:
        return SimpleNamespace(
            id=APP_ID, interactions_endpoint_url=None, flags=discord.ApplicationFlags()
        )

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    monkeypatch.setattr(discord.Client, "application_info", application_info)
    harness = await Harness(tmp_path / "bot.sqlite3", traveller).start()
    runtime = harness.runtime
    assert runtime is not None and runtime.shards == ""
    runtime.shards = "stale"
    launcher = DiscordLauncher(launcher_settings(tmp_path, **options))
    assert launcher.missing() is None
    with caplog.at_level(logging.INFO, logger="bot.adapters.discord.runner"):
        assert await launcher.prepare(runtime)
    try:
        assert runtime.shards == label
        (line,) = [r.getMessage() for r in caplog.records if r.name.endswith("runner")]
        assert logged in line
        client = launcher.client
        assert isinstance(client, commands.AutoShardedBot) == bool(label)
    finally:
        await launcher.close()
        await harness.stop()


def test_the_launcher_refuses_bad_shards_before_opening_anything(tmp_path: Path) -> None:
    launcher = DiscordLauncher(launcher_settings(tmp_path, shards="0-9", shard_count=8))
    reason = launcher.missing()
    assert reason is not None and "numbered 0-7" in reason
    assert "needs --shard-count" in str(
        DiscordLauncher(launcher_settings(tmp_path, shards="0-3")).missing()
    )
