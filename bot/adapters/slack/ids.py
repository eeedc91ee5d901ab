"""Turning Slack ids into the domain's platform-neutral references.

A Slack workspace (team id ``T…``) is a space; channels (``C…``/``G…``) and
users (``U…``/``W…``) keep Slack's own ids.
"""

from __future__ import annotations

import re

from bot.core.models import ChannelRef, SpaceKey, UserRef

PLATFORM = "slack"
# What Slack sends for a mention when the command escapes them: <@U123|name>,
# <#C123|name>; ids are upper-case letters and digits.
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$")
_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>$")


def user_ref(user_id: str, name: str = "") -> UserRef:
    return UserRef(PLATFORM, user_id, name)


def channel_ref(team_id: str, channel_id: str) -> ChannelRef:
    return ChannelRef(PLATFORM, team_id, channel_id)


def space_key(team_id: str) -> SpaceKey:
    return (PLATFORM, team_id)


def mentioned_user(word: str) -> str | None:
    """The user id in an escaped mention (``<@U123|ann>``), else None."""
    match = _USER_MENTION.match(word)
    return match[1] if match else None


def mentioned_channel(word: str) -> str | None:
    """The channel id in an escaped channel link (``<#C123|general>``), else None."""
    match = _CHANNEL_MENTION.match(word)
    return match[1] if match else None
