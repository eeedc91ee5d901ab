"""``/review``: a private spaced-repetition session, one card at a time.

The session lives in the database and its buttons carry the session and the
card's position (components.ReviewButton), so the message keeps working
after a restart, and a second click on a card already done is refused. Like
``/drill`` it works in DMs too: the cards are the person's, not a server's.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.components import review_view
from bot.adapters.discord.ids import space_key, user_ref
from bot.adapters.discord.replies import reply
from bot.core.reviews import DEFAULT_COUNT, MAX_COUNT


class ReviewCog(ServiceCog):
    @app_commands.command(
        name="review",
        description="Spaced repetition, privately: your due cards, then new questions from weak topics",
    )
    @app_commands.describe(count=f"How many cards, 1 to {MAX_COUNT} (default {DEFAULT_COUNT})")
    async def review(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
    ) -> None:
        # Discord enforces the range in its own client; a stale registration
        # can still send anything, and the service refuses that with the range.
        space = space_key(interaction.guild_id) if interaction.guild_id else None
        start = await self.services.reviews.start(user_ref(interaction.user), space, count)
        embeds = [render.review_start_embed(start)]
        view = None
        if start.session is not None:
            embeds.append(render.review_item_embed(start.session))
            view = review_view(start.session)
        await reply(interaction, embeds=embeds, view=view)
