"""What every cog shares: the services, and references for the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.autocomplete import matching
from bot.adapters.discord.ids import channel_ref, space_key
from bot.core.models import ChannelRef, SpaceKey

if TYPE_CHECKING:
    from bot.app import Services


class ServiceCog(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services

    @staticmethod
    def here(interaction: discord.Interaction) -> ChannelRef:
        if interaction.guild_id is None or interaction.channel_id is None:
            raise app_commands.NoPrivateMessage()
        return channel_ref(interaction.guild_id, interaction.channel_id)

    @staticmethod
    def space(interaction: discord.Interaction) -> SpaceKey:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return space_key(interaction.guild_id)

    async def topic_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching(self.services.bank.topics(), current)

    async def group_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        groups = await self.services.groups.in_space(space_key(interaction.guild_id))
        return matching((g.name for g in groups), current)
