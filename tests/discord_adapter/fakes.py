"""The network edge of discord.py, faked: its HTTP client and webhook adapter.

Everything above them is real: the client, its connection state and cache,
the command tree, views and dynamic items, and Interactions built from the
same JSON payloads the gateway sends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
GUILD_ID = 910_000_000_000_000_001
CHANNEL_ID = 920_000_000_000_000_001
LOCKED_CHANNEL_ID = 920_000_000_000_000_002
OWNER_ID = 930_000_000_000_000_001
ADMIN_ROLE = 940_000_000_000_000_001

WAIT_LIMIT_S = 10

_ids = itertools.count(950_000_000_000_000_001)


def next_id() -> int:
    return next(_ids)


@dataclass
class Call:
    method: str
    path: str
    payload: dict[str, Any] | None


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name.lower(),
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def message_payload(
    channel_id: int, body: dict[str, Any] | None, message_id: int | None = None
) -> dict[str, Any]:
    body = body or {}
    return {
        "id": str(message_id or next_id()),
        "channel_id": str(channel_id),
        "author": user_payload(BOT_ID, "studybot", bot=True),
        "content": body.get("content") or "",
        "timestamp": "2026-11-23T08:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": body.get("flags", 0),
    }


def http_error(status: int, text: str = "refused") -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason=text)
    kinds: dict[int, type[discord.HTTPException]] = {
        403: discord.Forbidden,
        404: discord.NotFound,
    }
    return kinds.get(status, discord.HTTPException)(response, {"message": text, "code": 0})  # type: ignore[arg-type]


@dataclass
class FakeDiscord:
    """Records every request and answers it as Discord would.

    ``fail`` maps (method, path prefix) to an exception raised instead.
    """

    calls: list[Call] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    """(filename, content) of every file attached to an interaction response."""
    fail: dict[tuple[str, str], Exception] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def install(self, client: discord.Client) -> None:
        client.http.request = self.http_request  # type: ignore[method-assign]

    async def _record(self, method: str, path: str, payload: dict[str, Any] | None) -> None:
        for (fail_method, prefix), error in self.fail.items():
            if method == fail_method and path.startswith(prefix):
                raise error
        async with self.changed:
            self.calls.append(Call(method, path, payload))
            self.changed.notify_all()

    async def wait_for(self, test: Callable[[list[Call]], bool]) -> None:
        """Until ``test`` holds; the timeout only turns a hang into a failure."""
        async with asyncio.timeout(WAIT_LIMIT_S), self.changed:
            await self.changed.wait_for(lambda: test(self.calls))

    # -- the bot's own REST calls (discord.http.HTTPClient.request) -------------
    async def http_request(self, route: Any, **kwargs: Any) -> Any:
        payload = kwargs.get("json")
        if payload is None and kwargs.get("form"):
            payload = json.loads(kwargs["form"][0]["value"])
        method, path = route.method, route.url.split("/api/v10", 1)[-1]
        await self._record(method, path, payload)
        parts = path.strip("/").split("/")
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            return message_payload(int(parts[1]), payload)
        if method == "PATCH" and parts[0] == "channels":
            return message_payload(int(parts[1]), payload, int(parts[3]))
        if method == "GET" and parts[0] == "users":
            return user_payload(int(parts[1]), "someone")
        if method == "POST" and path == "/users/@me/channels":
            return {
                "id": str(next_id()),
                "type": 1,
                "recipients": [payload and user_payload(int(payload["recipient_id"]), "someone")],
            }
        return {}

    # -- interaction responses and follow-ups (the webhook adapter) ------------
    def adapter(self) -> AsyncWebhookAdapter:
        fake = self

        class Adapter(AsyncWebhookAdapter):
            async def request(self, route: Any, session: Any = None, **kwargs: Any) -> Any:
                payload = kwargs.get("payload")
                if payload is None and kwargs.get("multipart"):
                    payload = json.loads(kwargs["multipart"][0]["value"])
                    for part in kwargs["multipart"][1:]:  # attached files
                        value = part["value"]
                        data = value if isinstance(value, bytes) else value.read()
                        fake.files.append((str(part.get("filename")), data))
                await fake._record(route.method, route.url.split("/api/v10", 1)[-1], payload)
                if route.url.endswith("/callback"):
                    return {"interaction": {"id": "1", "type": 2}}
                return message_payload(CHANNEL_ID, (payload or {}).get("data", payload))

        return Adapter()

    # -- queries used by tests --------------------------------------------------
    def responses(self, interaction_id: int) -> list[dict[str, Any]]:
        """Payloads answering one interaction: its callback and follow-ups."""
        found = []
        for call in self.calls:
            if f"/interactions/{interaction_id}/" in call.path and call.payload is not None:
                found.append(call.payload)
            elif (
                call.path.startswith(f"/webhooks/{APP_ID}/tok-{interaction_id}")
                and call.payload is not None
            ):
                found.append({"type": "followup", "data": call.payload})
        return found

    def sent(self, channel_id: int = CHANNEL_ID) -> list[dict[str, Any]]:
        return [
            c.payload or {}
            for c in self.calls
            if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"
        ]

    def edits(self, channel_id: int = CHANNEL_ID) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "PATCH" and c.path.startswith(f"/channels/{channel_id}/messages/")
        ]
