"""Everyone's commands: scores, streaks, stats, topics, reports and help."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot import charts
from bot.adapters.discord import render
from bot.adapters.discord.autocomplete import matching
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.ids import user_ref
from bot.adapters.discord.replies import reply
from bot.core.models import Period, Scope

PERIODS = [
    app_commands.Choice(name="this week", value="week"),
    app_commands.Choice(name="this month", value="month"),
    app_commands.Choice(name="all time", value="all"),
]
SCOPES = [
    app_commands.Choice(name="server", value="server"),
    app_commands.Choice(name="channel", value="channel"),
    app_commands.Choice(name="study group", value="group"),
]
SCOPE_VALUES = {"server": Scope.SPACE, "channel": Scope.CHANNEL, "group": Scope.GROUP}


class PlayCog(ServiceCog):
    @app_commands.command(name="leaderboard", description="Top scorers and your own rank")
    @app_commands.describe(
        period="Which period to rank (default this week)",
        scope="Whole server, this channel, or a study group (default server)",
        group="The study group, when scope is group (default: your first group)",
    )
    @app_commands.choices(period=PERIODS, scope=SCOPES)
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        period: app_commands.Choice[str] | None = None,
        scope: app_commands.Choice[str] | None = None,
        group: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        me = user_ref(interaction.user)
        board = await self.services.boards.leaderboard(
            self.here(interaction),
            me,
            Period(period.value) if period else Period.WEEK,
            SCOPE_VALUES[scope.value] if scope else (Scope.GROUP if group else Scope.SPACE),
            group,
        )
        streak = await self.services.boards.streak(self.here(interaction), me)
        await reply(interaction, embed=render.leaderboard_embed(board, streak))

    @leaderboard.autocomplete("group")
    async def _leaderboard_groups(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.group_choices(interaction, current)

    @app_commands.command(name="streak", description="Current and best daily-question streak")
    @app_commands.describe(user="Whose streak (default: yours)")
    @app_commands.guild_only()
    async def streak(
        self, interaction: discord.Interaction, user: discord.User | None = None
    ) -> None:
        who = user_ref(user or interaction.user)
        view = await self.services.boards.streak(self.here(interaction), who)
        await reply(interaction, embed=render.streak_embed(view))

    @app_commands.command(
        name="stats", description="Points, ranks and streak; yours add reviews, mastery and a chart"
    )
    @app_commands.describe(user="Whose stats (default: yours; others' show only public numbers)")
    @app_commands.guild_only()
    async def stats(
        self, interaction: discord.Interaction, user: discord.User | None = None
    ) -> None:
        found = await self.services.stats.stats(
            self.here(interaction), user_ref(interaction.user), user_ref(user) if user else None
        )
        if found.progress is None or not found.has_chart:
            embed = render.stats_embed(found.streak, found.boards, found.drills, found.progress)
            await reply(interaction, embed=embed)
            return
        # Drawing the chart can take longer than Discord's 3 seconds on a cold start.
        await interaction.response.defer(ephemeral=True, thinking=True)
        png = await charts.render_progress_async(found.progress, title=found.chart_title)
        embed = render.stats_embed(
            found.streak, found.boards, found.drills, found.progress, chart=True
        )
        await reply(interaction, embed=embed, file=discord.File(io.BytesIO(png), render.CHART_FILE))

    @app_commands.command(name="topics", description="Topics in the question bank")
    async def topics(self, interaction: discord.Interaction) -> None:
        bank = self.services.bank
        counts = [(t, len(bank.filter(topics=[t]))) for t in bank.topics()]
        await reply(interaction, embed=render.topics_embed(counts, len(bank)))

    @app_commands.command(name="report", description="Flag a wrong or unclear question")
    @app_commands.describe(
        question="The question id (shown under each question)",
        reason="What is wrong, in a sentence",
    )
    @app_commands.guild_only()
    async def report(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 64],
        reason: app_commands.Range[str, 3, 300],
    ) -> None:
        filed = await self.services.reports.report(
            self.here(interaction), user_ref(interaction.user), question, reason
        )
        await reply(interaction, f"Thanks — report #{filed.id} on `{filed.question_id}` is filed.")

    @report.autocomplete("question")
    async def _question_ids(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching((q.id for q in self.services.bank.filter()), current)

    @app_commands.command(name="help", description="What studybot does and how to use it")
    async def help(self, interaction: discord.Interaction) -> None:
        await reply(interaction, embed=render.help_embed())
