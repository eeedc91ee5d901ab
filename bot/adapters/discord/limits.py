"""Discord's documented size limits, and cutting text to fit them.

Discord rejects a whole message when one part is too long, so every text we
send passes through :func:`clip` with the limit of the place it goes.
"""

from __future__ import annotations

import discord

EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
MESSAGE_CONTENT = 2000
BUTTON_LABEL = 80
CUSTOM_ID = 100
CHOICES = 25
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
COMMAND_NAME = 32
COMMAND_DESCRIPTION = 100
OPTION_NAME = 32
OPTION_DESCRIPTION = 100

MARKER = "…"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with a marker when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(MARKER), 0)].rstrip() + MARKER


def fit(embed: discord.Embed) -> discord.Embed:
    """Clip every part of ``embed`` to its limit, then shrink it under the total.

    The description goes first when the total is over, since it is the one
    part that can be long; fields beyond the 25th are dropped.
    """
    if embed.title:
        embed.title = clip(embed.title, EMBED_TITLE)
    if embed.description:
        embed.description = clip(embed.description, EMBED_DESCRIPTION)
    fields = embed.fields[:EMBED_FIELDS]
    embed.clear_fields()
    for field in fields:
        embed.add_field(
            name=clip(field.name or "\u200b", FIELD_NAME),
            value=clip(field.value or "\u200b", FIELD_VALUE),
            inline=bool(field.inline),
        )
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER_TEXT), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=clip(embed.author.name, AUTHOR_NAME), url=embed.author.url)
    excess = len(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - excess, 0))
    while len(embed) > EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed
