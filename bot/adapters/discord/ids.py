"""Turning Discord objects into the domain's platform-neutral references."""

from __future__ import annotations

import discord

from bot.core.models import ChannelRef, SpaceKey, UserRef

PLATFORM = "discord"


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.display_name)


def channel_ref(guild_id: int, channel_id: int) -> ChannelRef:
    return ChannelRef(PLATFORM, str(guild_id), str(channel_id))


def space_key(guild_id: int) -> SpaceKey:
    return (PLATFORM, str(guild_id))
