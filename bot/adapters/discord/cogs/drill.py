"""``/drill``: a private run of questions with instant feedback."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.cogs.daily import DIFFICULTIES
from bot.adapters.discord.components import drill_view
from bot.adapters.discord.ids import space_key, user_ref
from bot.adapters.discord.replies import reply
from bot.core.drills import DEFAULT_COUNT, MAX_COUNT


class DrillCog(ServiceCog):
    @app_commands.command(name="drill", description="Practise privately, one question at a time")
    @app_commands.describe(
        topic="Topic to practise (default: your review queue)",
        difficulty="Difficulty (default: any)",
        count=f"How many questions, 1 to {MAX_COUNT} (default {DEFAULT_COUNT})",
    )
    @app_commands.choices(difficulty=DIFFICULTIES)
    async def drill(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 40] | None = None,
        difficulty: app_commands.Choice[str] | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
    ) -> None:
        space = space_key(interaction.guild_id) if interaction.guild_id else None
        session = await self.services.drills.start(
            user_ref(interaction.user),
            space,
            topic=topic,
            difficulty=difficulty.value if difficulty else None,
            count=count,
        )
        await reply(
            interaction, embed=render.drill_question_embed(session), view=drill_view(session)
        )

    @drill.autocomplete("topic")
    async def _topics(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.topic_choices(interaction, current)
