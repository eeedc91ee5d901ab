"""Answering interactions privately, and turning failures into a short message.

Every path that answers a user goes through here so that the first response
and follow-ups are chosen correctly, mentions are always off, and an error
never leaves an interaction unanswered ("This interaction failed").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

import discord
from discord import app_commands
from discord.utils import MISSING

from bot.adapters.discord.limits import MESSAGE_CONTENT, clip
from bot.adapters.discord.render import NO_MENTIONS, safe
from bot.core.errors import UserError

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side. It has been logged; please try again in a moment."

T = TypeVar("T")

DEFER_AFTER_S = 2.0
"""Discord fails an interaction that is not acknowledged within 3 seconds.
Work still running after this long is acknowledged first ("thinking…") and its
reply sent as a follow-up, so a slow moment of ours (a busy database, a big
reveal elsewhere) never shows the user "This interaction failed"."""


async def in_time(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = True
) -> T:
    """Await ``work``; if it outlasts :data:`DEFER_AFTER_S`, defer the interaction
    and keep waiting. The fast path stays one response; only slow work pays
    for the extra round trip. Reply afterwards with :func:`reply`, which sends
    a follow-up once the interaction is deferred."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_S)
    except TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await task


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
    file: discord.File | None = None,
) -> None:
    """Send a response, or a follow-up when the interaction was already answered."""
    text = clip(content, MESSAGE_CONTENT) if content is not None else None
    items = embeds if embeds is not None else ([embed] if embed is not None else [])
    if interaction.response.is_done():
        await interaction.followup.send(
            text if text is not None else MISSING,
            embeds=items,
            view=view if view is not None else MISSING,
            file=file if file is not None else MISSING,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    else:
        await interaction.response.send_message(
            text,
            embeds=items,
            view=view if view is not None else MISSING,
            file=file if file is not None else MISSING,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )


def explain(error: BaseException) -> str | None:
    """The message to show for an expected failure; ``None`` for a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    match error:
        case UserError():
            # Domain messages are plain text and may quote what the user typed.
            return safe(str(error))
        case app_commands.MissingPermissions():
            return "You need the **Manage Server** permission to use this command."
        case app_commands.NoPrivateMessage():
            return "This command only works in a server channel."
        case app_commands.BotMissingPermissions():
            missing = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
            return f"I am missing a permission here: {missing}."
        case app_commands.TransformerError():
            # The value is whatever the client sent, so it is quoted as user text.
            value = safe(clip(str(error.value), 100))
            return f"'{value}' is not a valid {error.type.name}; pick one from the list."
        case app_commands.CommandOnCooldown():
            return f"Slow down a little; try again in {error.retry_after:.0f} s."
        case app_commands.CommandSignatureMismatch() | app_commands.CommandNotFound():
            return (
                "This command has changed since it was last synced with Discord; "
                "ask the bot's owner to run `studybot discord --sync`."
            )
        case app_commands.CheckFailure():
            return "You cannot use this command here."
        case discord.Forbidden():
            return "Discord refused: I am missing a permission in this channel."
    return None


async def report_failure(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user briefly and privately; log a bug with its traceback."""
    message = explain(error)
    where = interaction.command.qualified_name if interaction.command else "component"
    if message is None:
        original = getattr(error, "original", error)
        log.error(
            "interaction %s (%s) by %s failed",
            interaction.id,
            where,
            interaction.user.id,
            exc_info=(type(original), original, original.__traceback__),
        )
        message = UNEXPECTED
    else:
        log.info("interaction %s (%s) refused: %s", interaction.id, where, message)
    try:
        await reply(interaction, message)
    except discord.HTTPException as exc:
        log.warning("could not tell the user about a failure: %s", exc)


class StudyTree(app_commands.CommandTree[discord.Client]):
    """The one error handler for every slash command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_failure(interaction, error)
