"""``/daily``: the admin controls of a channel's daily question."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.autocomplete import list_matching, matching, time_zones
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.ids import channel_ref
from bot.adapters.discord.replies import reply
from bot.core.errors import NotFound, UserError
from bot.core.models import ChannelRef

NEEDED_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history")
DIFFICULTIES = [
    app_commands.Choice(name=name, value=name) for name in ("any", "easy", "medium", "hard")
]


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [
        name.replace("_", " ").title() for name in NEEDED_PERMISSIONS if not getattr(perms, name)
    ]


class DailyCog(ServiceCog):
    daily = app_commands.Group(
        name="daily",
        description="Set up and run this server's daily question (Manage Server)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions is only a default that server admins can change,
        # so the permission is checked again on every use.
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    def _target(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None
    ) -> tuple[ChannelRef, str]:
        """The channel a subcommand acts on (default: where it was used), and its mention."""
        channel_id = channel.id if channel is not None else interaction.channel_id
        if interaction.guild_id is None or channel_id is None:
            raise app_commands.NoPrivateMessage()
        return channel_ref(interaction.guild_id, channel_id), f"<#{channel_id}>"

    @daily.command(name="setup", description="Post a daily question in a channel at a set time")
    @app_commands.describe(
        channel="Where to post",
        time_of_day="Local time, 24-hour, e.g. 09:30",
        timezone="IANA time zone, e.g. Europe/Berlin or America/New_York",
        reveal_after="Delay before the answer is shown: 1m to 24h, e.g. 30m or 2h (default 1h)",
        days="Days to post, e.g. weekdays, daily, mon,wed,fri (default daily)",
        topics="Comma-separated topics to draw from (default all)",
        difficulty="Only questions of this difficulty (default any)",
    )
    @app_commands.rename(time_of_day="time")
    @app_commands.choices(difficulty=DIFFICULTIES)
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time_of_day: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
        reveal_after: app_commands.Range[str, 1, 20] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
        topics: app_commands.Range[str, 1, 300] | None = None,
        difficulty: app_commands.Choice[str] | None = None,
    ) -> None:
        guild = interaction.guild
        if guild is not None and guild.me is not None:
            missing = missing_permissions(channel, guild.me)
            if missing:
                raise UserError(
                    f"I cannot post in {channel.mention}: I am missing {', '.join(missing)} "
                    "there. Grant them in the channel's permissions and run /daily setup again."
                )
        schedules = self.services.schedules
        saved = await schedules.setup(
            channel_ref(channel.guild.id, channel.id),
            at=time_of_day,
            timezone=timezone,
            reveal_after=reveal_after,
            days=days,
            topics=topics,
            difficulty=difficulty.value if difficulty else None,
        )
        await reply(
            interaction,
            f"Daily question scheduled in {channel.mention}.",
            embed=render.schedule_embed(saved, schedules.next_post(saved)),
        )

    @setup.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching(time_zones(), current)

    @setup.autocomplete("topics")
    async def _topics_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Complete the last topic of a comma-separated list; never offer a list cut to fit.
        return list_matching(self.services.bank.topics(), current)

    @daily.command(name="show", description="Show the daily-question schedule")
    @app_commands.describe(channel="Channel to show (default: this one, else all of the server)")
    async def show(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        schedules = self.services.schedules
        here, mention = self._target(interaction, channel)
        try:
            found = await schedules.get(here)
        except NotFound:
            pass
        else:
            embed = render.schedule_embed(found, schedules.next_post(found))
            await reply(interaction, mention, embed=embed)
            return
        everywhere = await schedules.in_space(self.space(interaction))
        if channel is not None or not everywhere:
            raise UserError(f"{mention} has no daily question; set one up with /daily setup")
        lines = [
            f"<#{s.channel.channel}> — {s.post_time:%H:%M} {s.timezone}"
            + (" (paused)" if s.paused else "")
            + (" ⚠️ failing" if s.failing else "")
            for s in everywhere
        ]
        await reply(
            interaction, "This channel has no daily question. Schedules here:\n" + "\n".join(lines)
        )

    @daily.command(name="pause", description="Pause the daily question (nothing is deleted)")
    @app_commands.describe(channel="Channel whose daily question to pause (default: this one)")
    async def pause(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        here, mention = self._target(interaction, channel)
        await self.services.schedules.set_paused(here, True)
        await reply(
            interaction, f"The daily question in {mention} is paused. Resume it with /daily resume."
        )

    @daily.command(name="resume", description="Resume a paused daily question")
    @app_commands.describe(channel="Channel whose daily question to resume (default: this one)")
    async def resume(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        here, mention = self._target(interaction, channel)
        schedules = self.services.schedules
        saved = await schedules.set_paused(here, False)
        await reply(
            interaction,
            f"The daily question in {mention} is running again.",
            embed=render.schedule_embed(saved, schedules.next_post(saved)),
        )

    @daily.command(name="remove", description="Stop the daily question here (scores are kept)")
    @app_commands.describe(channel="Channel whose daily question to remove (default: this one)")
    async def remove(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        here, mention = self._target(interaction, channel)
        await self.services.schedules.remove(here)
        await reply(
            interaction, f"The daily question in {mention} is removed; scores and streaks are kept."
        )

    @daily.command(name="now", description="Post an extra question right now")
    @app_commands.describe(channel="Channel to post in (default: this one)")
    async def now(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        here, mention = self._target(interaction, channel)
        # Posting talks to Discord; answer within the 3-second window first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_ = await self.services.rounds.post_now(here)
        await reply(
            interaction,
            f"Posted question #{round_.id} in {mention}; answers close {render.stamp(round_.reveals_at)}.",
        )

    @daily.command(name="reveal", description="End the open question now and post the answer")
    @app_commands.describe(channel="Channel whose open question to reveal (default: this one)")
    async def reveal(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        here, mention = self._target(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        summary = await self.services.rounds.reveal_now(here)
        await reply(interaction, f"Revealed question #{summary.round.id} in {mention}.")

    @daily.command(name="recap", description="Turn the weekly recap on or off")
    @app_commands.describe(
        enabled="True to post a weekly recap, False to stop it",
        channel="Channel whose recap to change (default: this one)",
    )
    async def recap(
        self,
        interaction: discord.Interaction,
        enabled: bool,
        channel: discord.TextChannel | None = None,
    ) -> None:
        here, mention = self._target(interaction, channel)
        await self.services.schedules.set_recap(here, enabled)
        await reply(interaction, f"Weekly recap in {mention} turned {'on' if enabled else 'off'}.")

    @daily.command(name="reports", description="Open reports of wrong or unclear questions")
    async def reports(self, interaction: discord.Interaction) -> None:
        found = await self.services.reports.open_reports(self.space(interaction))
        await reply(interaction, embed=render.reports_embed(found))
