"""``studybot discord``: start the bot with a token from the environment."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.client import StudyBot, build_client
from bot.adapters.discord.ids import PLATFORM
from bot.adapters.discord.platform import DiscordPlatform
from bot.adapters.discord.shards import ShardPlan, plan_shards
from bot.adapters.launch import run_launchers
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(Bot > Reset Token), then run: DISCORD_TOKEN=<token> studybot discord  "
    "(README: 'Running on Discord')"
)


class DiscordLauncher:
    name = "discord"

    def __init__(self, settings: Settings, *, sync: bool = False) -> None:
        """The shards come from ``settings.discord`` (the command line writes
        ``--shards``/``--shard-count`` there); :meth:`missing` refuses bad ones."""
        self.settings = settings
        self.sync = sync
        self.client: StudyBot | None = None

    def missing(self) -> str | None:
        if self.settings.secret("discord_token") is None:
            return NO_TOKEN
        try:
            self.shards()
        except ValueError as exc:
            return str(exc)
        return None

    def shards(self) -> ShardPlan | None:
        """The shards this process runs, or None for one connection to every server."""
        return plan_shards(self.settings.discord.shards, self.settings.discord.shard_count)

    async def prepare(self, runtime: Runtime) -> bool:
        token = self.settings.secret("discord_token")
        assert token is not None  # missing() said so
        shards = self.shards()
        self.client = build_client(
            runtime.services,
            sync=self.sync,
            dev_guild=self.settings.discord.dev_guild,
            shards=shards,
        )
        if shards is None:
            runtime.shards = ""
            log.info("discord: one gateway connection for every server (not sharded)")
        else:
            runtime.shards = shards.label
            log.info(
                "discord: this process runs gateway shards %s%s",
                shards.label,
                "" if shards.hears_direct_messages else " (DMs go to the process with shard 0)",
            )
        runtime.platforms[PLATFORM] = DiscordPlatform(self.client)
        client = self.client
        runtime.connections[PLATFORM] = lambda: client.is_ready() and not client.is_closed()
        try:
            await self.client.login(token)
        except discord.LoginFailure:
            print(
                "Discord rejected DISCORD_TOKEN; reset the token in the developer portal "
                "and set it again",
                file=sys.stderr,
            )
            return False
        return True

    async def serve(self) -> None:
        assert self.client is not None
        await self.client.connect()

    async def close(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()


async def run_discord(settings: Settings, *, sync: bool) -> int:
    return await run_launchers(settings, [DiscordLauncher(settings, sync=sync)])
