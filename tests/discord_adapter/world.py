"""A running studybot on Discord with only the network faked.

``DiscordWorld`` wraps the shared test Harness (real SQLite file, real
APScheduler, clock under control) and, on every (re)start, builds a fresh
``StudyBot`` whose cache holds one server, the way a gateway READY would.
Commands and clicks go in as gateway payloads through
``ConnectionState.parse_interaction_create``, the same entry point Discord
events take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.webhook.async_ import async_context

from bot.adapters.discord.client import StudyBot
from bot.adapters.discord.ids import PLATFORM
from bot.adapters.discord.platform import DiscordPlatform
from bot.app import Runtime, Services
from tests.discord_adapter.fakes import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    LOCKED_CHANNEL_ID,
    FakeDiscord,
    message_payload,
    next_id,
    user_payload,
)
from tests.helpers import Harness

EVERYONE = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
MANAGER = EVERYONE | discord.Permissions(manage_guild=True)
DEFERRED = 5


def guild_payload(
    guild_id: int = GUILD_ID, channel_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """The test server as a gateway READY carries it. With ``channel_ids``, another
    server whose channels are all open to the bot (the soak runs many of them)."""
    deny_send = discord.Permissions(send_messages=True).value
    channels = [
        _channel(CHANNEL_ID, "daily-ml", []),
        _channel(
            LOCKED_CHANNEL_ID,
            "announcements",
            [{"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(deny_send)}],
        ),
    ]
    if channel_ids is not None:
        channels = [
            _channel(cid, f"daily-ml-{n}", [], guild_id) for n, cid in enumerate(channel_ids)
        ]
    return {
        "id": str(guild_id),
        "name": "ML study club",
        "owner_id": str(next_id()),
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": str(EVERYONE.value),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": channels,
        "members": [
            {
                "user": user_payload(BOT_ID, "studybot", bot=True),
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 3,
        "large": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
    }


def _channel(
    channel_id: int, name: str, overwrites: list[dict[str, Any]], guild_id: int = GUILD_ID
) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": 0,
        "guild_id": str(guild_id),
        "permission_overwrites": overwrites,
        "nsfw": False,
        "parent_id": None,
    }


class DiscordWorld:
    def __init__(self, harness: Harness, fake: FakeDiscord | None = None) -> None:
        self.harness = harness
        self.fake = fake if fake is not None else FakeDiscord()
        self.client: StudyBot | None = None
        self.extra_guilds: list[dict[str, Any]] = []
        """More servers in the cache at every start (``guild_payload(id, channels)``)."""
        self.make_client: Callable[[Services], StudyBot] = StudyBot
        """Builds the client on every start; a sharded one for the scale-out tests."""
        harness.before_start.append(self.attach)
        async_context.set(self.fake.adapter())

    async def attach(self, runtime: Runtime) -> None:
        """A fresh process: new client, same database and same fake Discord."""
        if self.client is not None:
            await self.client.close()
        client = self.make_client(runtime.services)
        self.fake.install(client)
        await client._async_setup_hook()
        state = client._connection
        state.user = discord.ClientUser(
            state=state, data=user_payload(BOT_ID, "studybot", bot=True)
        )  # type: ignore[arg-type]
        state.application_id = APP_ID
        state._add_guild_from_data(guild_payload())  # type: ignore[arg-type]
        for extra in self.extra_guilds:
            state._add_guild_from_data(extra)  # type: ignore[arg-type]
        await client.setup_hook()
        runtime.platforms[PLATFORM] = DiscordPlatform(client)
        self.client = client

    @property
    def bot(self) -> StudyBot:
        assert self.client is not None
        return self.client

    # -- payloads -----------------------------------------------------------------
    def _base(
        self,
        kind: int,
        user_id: int,
        name: str,
        permissions: discord.Permissions,
        *,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
    ) -> dict[str, Any]:
        iid = next_id()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"tok-{iid}",
            "version": 1,
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "name": "daily-ml", "position": 0},
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "attachment_size_limit": 8_000_000,
        }
        if guild:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["app_permissions"] = str(EVERYONE.value)
            payload["member"] = {
                "user": user_payload(user_id, name),
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions.value),
            }
        else:
            payload["user"] = user_payload(user_id, name)
        return payload

    def command_payload(
        self,
        path: str,
        options: dict[str, Any],
        *,
        user_id: int,
        name: str,
        permissions: discord.Permissions,
        focused: str | None = None,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
    ) -> dict[str, Any]:
        names = path.split()
        command = self.bot.tree.get_command(names[0])
        assert command is not None, f"no command {names[0]}"
        for part in names[1:]:
            assert isinstance(command, app_commands.Group)
            command = command.get_command(part)
            assert command is not None, f"no subcommand {path}"
        assert isinstance(command, app_commands.Command)
        resolved: dict[str, dict[str, Any]] = {}
        option_list = []
        for key, value in options.items():
            param = command.get_parameter(key) or next(
                p for p in command.parameters if p.name == key or p.display_name == key
            )
            kind = param.type.value
            option: dict[str, Any] = {"type": kind, "name": param.display_name, "value": value}
            if kind == discord.AppCommandOptionType.channel.value:
                channel = self.bot.get_channel(int(value))
                option["value"] = str(value)
                resolved.setdefault("channels", {})[str(value)] = {
                    "id": str(value),
                    "type": 0,
                    "name": getattr(channel, "name", "gone"),
                    "permissions": str(EVERYONE.value),
                    "guild_id": str(guild_id),
                }
            elif kind == discord.AppCommandOptionType.user.value:
                option["value"] = str(value)
                resolved.setdefault("users", {})[str(value)] = user_payload(
                    int(value), f"user{value}"
                )
            if focused == key:
                option["focused"] = True
            option_list.append(option)
        nested: list[dict[str, Any]] = option_list
        if len(names) == 2:  # a subcommand is an option of type 1 of its group
            nested = [{"type": 1, "name": names[1], "options": option_list}]
        data: dict[str, Any] = {"type": 1, "name": names[0], "options": nested}
        data["id"] = str(next_id())
        if resolved:
            data["resolved"] = resolved
        payload = self._base(
            4 if focused else 2,
            user_id,
            name,
            permissions,
            guild=guild,
            guild_id=guild_id,
            channel_id=channel_id,
        )
        payload["data"] = data
        return payload

    def click_payload(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user_id: int,
        name: str,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
    ) -> dict[str, Any]:
        payload = self._base(
            3, user_id, name, EVERYONE, guild=guild, guild_id=guild_id, channel_id=channel_id
        )
        payload["message"] = message
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return payload

    # -- driving ------------------------------------------------------------------
    async def send(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver an interaction and wait until it is finally answered."""
        iid = int(payload["id"])
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]

        def answered(_: object) -> bool:
            found = self.fake.responses(iid)
            return any(r.get("type") != DEFERRED for r in found)

        await self.fake.wait_for(answered)
        await self.harness.settle()
        return self.fake.responses(iid)

    async def command(
        self,
        path: str,
        *,
        user_id: int = 960_000_000_000_000_001,
        display: str = "Alice",
        permissions: discord.Permissions = EVERYONE,
        guild: bool = True,
        guild_id: int = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        **options: Any,
    ) -> list[dict[str, Any]]:
        payload = self.command_payload(
            path,
            options,
            user_id=user_id,
            name=display,
            permissions=permissions,
            guild=guild,
            guild_id=guild_id,
            channel_id=channel_id,
        )
        return await self.send(payload)

    async def autocomplete(
        self, path: str, focused: str, *, permissions: discord.Permissions = MANAGER, **options: Any
    ) -> list[dict[str, Any]]:
        payload = self.command_payload(
            path,
            options,
            user_id=960_000_000_000_000_001,
            name="Alice",
            permissions=permissions,
            focused=focused,
        )
        responses = await self.send(payload)
        return list(responses[-1]["data"]["choices"])

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: int, name: str
    ) -> list[dict[str, Any]]:
        return await self.send(self.click_payload(message, custom_id, user_id=user_id, name=name))

    def posted_message_from(self, data: dict[str, Any]) -> dict[str, Any]:
        """The message an interaction response created, as a later click carries it."""
        return message_payload(CHANNEL_ID, data)

    def posted_message(self, index: int = -1, channel_id: int = CHANNEL_ID) -> dict[str, Any]:
        """A message the bot posted, as Discord would send it back in a click."""
        body = self.fake.sent(channel_id)[index]
        return message_payload(channel_id, body)


def text_of(response: dict[str, Any]) -> str:
    """Content plus every embed's text of one response, for assertions."""
    data = response.get("data") or {}
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def is_ephemeral(response: dict[str, Any]) -> bool:
    return bool((response.get("data") or {}).get("flags", 0) & 64)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])
    ]
