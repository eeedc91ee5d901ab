"""``studybot discord``: start the bot with a token from the environment."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import discord

from bot.adapters.discord.client import StudyBot
from bot.adapters.discord.ids import PLATFORM
from bot.adapters.discord.platform import DiscordPlatform
from bot.app import build_runtime
from bot.config import Settings

log = logging.getLogger(__name__)

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(Bot > Reset Token), then run: DISCORD_TOKEN=<token> studybot discord  "
    "(README: 'Running on Discord')"
)


def stop_on_signals(client: discord.Client) -> None:
    """Close cleanly on SIGTERM (docker stop) and SIGINT instead of dying mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(client.close()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on this platform
            return


async def run_discord(settings: Settings, *, sync: bool) -> int:
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    runtime = await build_runtime(settings)
    async with runtime:
        client = StudyBot(runtime.services, sync=sync, dev_guild=settings.discord.dev_guild)
        runtime.platforms[PLATFORM] = DiscordPlatform(client)
        async with client:
            try:
                await client.login(settings.discord_token.get_secret_value().strip())
            except discord.LoginFailure:
                print(
                    "Discord rejected DISCORD_TOKEN; reset the token in the developer portal "
                    "and set it again",
                    file=sys.stderr,
                )
                return 2
            # Recovery may post late questions, so it runs once we can talk to Discord.
            await runtime.start()
            stop_on_signals(client)
            await client.connect()
    return 0
