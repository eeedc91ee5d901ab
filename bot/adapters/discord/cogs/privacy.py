"""``/privacy``: what studybot stores about you, a copy of it, and erasing it."""

from __future__ import annotations

import io
import re
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.components import Guarded, services_of
from bot.adapters.discord.ids import user_ref
from bot.adapters.discord.render import NO_MENTIONS
from bot.adapters.discord.replies import reply

DELETE_ID = "studybot:privacy-delete:{user_id}"


class PrivacyCog(ServiceCog):
    privacy = app_commands.Group(
        name="privacy", description="What studybot stores about you; export or erase it"
    )

    @privacy.command(name="about", description="What studybot stores about you, in a few lines")
    async def about(self, interaction: discord.Interaction) -> None:
        await reply(interaction, self.services.privacy.describe())

    @privacy.command(name="export", description="Get everything studybot stores about you as JSON")
    async def export(self, interaction: discord.Interaction) -> None:
        me = user_ref(interaction.user)
        data = await self.services.privacy.export_json(me)
        await interaction.response.send_message(
            "Here is everything studybot stores about you.",
            file=discord.File(io.BytesIO(data.encode("utf-8")), "studybot-data.json"),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @privacy.command(name="delete", description="Erase your answers, scores, streaks and groups")
    async def delete(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteButton(interaction.user.id))
        await reply(
            interaction,
            "This erases your answers, scores, streaks, drills, group memberships and reports "
            "in every server, for good, and you drop off every leaderboard. Press the button "
            "to go ahead; otherwise just dismiss this message.",
            view=view,
        )


class DeleteButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"studybot:privacy-delete:(?P<user>[0-9]{1,20})",
):
    """The confirmation: only the person who asked may press it."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__(
            discord.ui.Button(
                label="Delete my data",
                style=discord.ButtonStyle.danger,
                custom_id=DELETE_ID.format(user_id=user_id),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeleteButton:
        return cls(int(match["user"]))

    async def _answer(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(
                "This button erases someone else's data; use /privacy delete for your own.",
                ephemeral=True,
            )
            return
        erased = await services_of(interaction).privacy.delete(user_ref(interaction.user))
        await interaction.response.edit_message(
            content=f"Done. Erased {erased.summary()}.", view=None
        )
