"""``/remind``: a private daily message on days with cards due for review.

The reminder belongs to the person, not to a server, so the commands work in
DMs with the bot as well as in any server channel; every reply is private.
"""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands

from bot.adapters.discord.autocomplete import matching, time_zones
from bot.adapters.discord.cogs.base import ServiceCog
from bot.adapters.discord.ids import user_ref
from bot.adapters.discord.render import stamp
from bot.adapters.discord.replies import reply
from bot.core.reminders import Reminder


def describe(reminder: Reminder | None, next_at: datetime | None, default_zone: str) -> str:
    if reminder is None or not reminder.enabled:
        return (
            "Your daily reminder is off. `/remind on` turns it on "
            f"(09:00 {default_zone} unless you pick a time and time zone)."
        )
    text = f"Daily reminder **on** at {reminder.at:%H:%M} {reminder.timezone}"
    if next_at is not None:
        text += f"; next {stamp(next_at)}"
    return (
        text + ".\nI send a direct message only on days you have cards due for `/review`, "
        "at most one a day. `/remind off` stops it. If your DMs are closed to me, "
        "the reminder switches itself off."
    )


class RemindCog(ServiceCog):
    remind = app_commands.Group(
        name="remind", description="A private daily message on days you have cards to review"
    )

    def _default_zone(self) -> str:
        return self.services.settings.default_timezone

    @remind.command(name="on", description="Get a direct message on days you have cards due")
    @app_commands.describe(
        time_of_day="Local time, 24-hour, e.g. 08:30 (default: 09:00, or the time you set before)",
        timezone="IANA time zone, e.g. Europe/Berlin (default: the one you set before, else the bot's)",
    )
    @app_commands.rename(time_of_day="time")
    async def on(
        self,
        interaction: discord.Interaction,
        time_of_day: app_commands.Range[str, 1, 10] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        reminders = self.services.reminders
        saved = await reminders.enable(user_ref(interaction.user), time_of_day, timezone)
        await reply(
            interaction, describe(saved, reminders.next_reminder(saved), self._default_zone())
        )

    @on.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching(time_zones(), current)

    @remind.command(name="off", description="Stop the daily reminder")
    async def off(self, interaction: discord.Interaction) -> None:
        await self.services.reminders.disable(user_ref(interaction.user))
        await reply(interaction, "Daily reminder off. `/remind on` turns it back on.")

    @remind.command(name="status", description="Show your daily reminder")
    async def status(self, interaction: discord.Interaction) -> None:
        reminders = self.services.reminders
        current = await reminders.get(user_ref(interaction.user))
        next_at = reminders.next_reminder(current) if current is not None else None
        await reply(interaction, describe(current, next_at, self._default_zone()))
