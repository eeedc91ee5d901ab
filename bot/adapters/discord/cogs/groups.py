"""``/group``: study groups inside a server, and their fair ranking."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.cogs.play import PERIODS
from bot.adapters.discord.ids import user_ref
from bot.adapters.discord.render import safe
from bot.adapters.discord.replies import reply
from bot.core.models import Period

GroupName = app_commands.Range[str, 1, 40]


class GroupsCog(ServiceCog):
    group = app_commands.Group(
        name="group", description="Study groups: create, join, compare", guild_only=True
    )

    @group.command(name="create", description="Create a study group and join it")
    @app_commands.describe(name="Group name (letters, digits, spaces, dashes)")
    async def create(self, interaction: discord.Interaction, name: GroupName) -> None:
        made = await self.services.groups.create(
            self.space(interaction), name, user_ref(interaction.user)
        )
        await reply(interaction, f"Created **{safe(made.name)}**; you are its first member.")

    @group.command(name="join", description="Join a study group")
    @app_commands.describe(name="The group to join (see /group list)")
    async def join(self, interaction: discord.Interaction, name: GroupName) -> None:
        joined = await self.services.groups.join(
            self.space(interaction), name, user_ref(interaction.user)
        )
        await reply(interaction, f"You joined **{safe(joined.name)}**.")

    @group.command(name="leave", description="Leave a study group")
    @app_commands.describe(name="The group to leave")
    async def leave(self, interaction: discord.Interaction, name: GroupName) -> None:
        left = await self.services.groups.leave(
            self.space(interaction), name, user_ref(interaction.user)
        )
        await reply(interaction, f"You left **{safe(left.name)}**.")

    @join.autocomplete("name")
    @leave.autocomplete("name")
    async def _names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.group_choices(interaction, current)

    @group.command(name="list", description="Study groups in this server")
    async def list_groups(self, interaction: discord.Interaction) -> None:
        found = await self.services.groups.in_space(self.space(interaction))
        if not found:
            await reply(interaction, "No study groups yet; create one with /group create.")
            return
        lines = [f"**{safe(g.name)}** — {g.members} member{'s' * (g.members != 1)}" for g in found]
        await reply(interaction, "\n".join(lines))

    @group.command(name="leaderboard", description="Groups ranked by points per active member")
    @app_commands.describe(period="Which period to rank (default this week)")
    @app_commands.choices(period=PERIODS)
    async def leaderboard(
        self, interaction: discord.Interaction, period: app_commands.Choice[str] | None = None
    ) -> None:
        chosen = Period(period.value) if period else Period.WEEK
        rows = await self.services.boards.group_ranking(self.here(interaction), chosen)
        await reply(interaction, embed=render.groups_embed(rows, f"Study groups — {chosen.value}"))
