"""A running studybot on Slack with only the network edge faked.

``SlackWorld`` wraps the shared test Harness (real SQLite file, real
APScheduler, clock under control) and, on every (re)start, builds a fresh
Bolt ``AsyncApp`` over the new services, as a new process would. Requests go
in the way Slack sends them over HTTP: form-encoded or JSON bodies signed with
the signing secret, through ``AsyncApp.async_dispatch`` (Bolt's own entry
point, request verification included). The Web API and every response_url
are the local :class:`FakeSlack`.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.app import SlackApp, build_app
from bot.adapters.slack.ids import PLATFORM
from bot.adapters.slack.inflight import bolt_settled
from bot.adapters.slack.platform import SlackPlatform
from bot.adapters.slack.runner import web_client
from bot.app import Runtime
from bot.config import SlackSettings
from tests.helpers import Harness
from tests.slack_adapter.fake_api import BOT_USER, CHANNEL, MEMBER, TEAM, FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-not-a-real-token"
_keys = itertools.count(1)


def sign(body: str, *, secret: str = SIGNING_SECRET, content_type: str) -> dict[str, list[str]]:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "content-type": [content_type],
        "x-slack-signature": [signature or ""],
        "x-slack-request-timestamp": [timestamp],
    }


class SlackWorld:
    def __init__(self, harness: Harness, fake: FakeSlack) -> None:
        self.harness = harness
        self.fake = fake
        self.app: SlackApp | None = None
        self.platform: SlackPlatform | None = None
        self.settings = SlackSettings(api_url=fake.api_url, min_post_interval=0)
        harness.before_start.append(self.attach)

    async def attach(self, runtime: Runtime) -> None:
        """A fresh process: new Web API client and app, same database and fake."""
        await self.close()
        client = web_client_for(self.settings)
        self.platform = SlackPlatform(client, min_post_interval=0)
        runtime.platforms[PLATFORM] = self.platform
        self.app = build_app(runtime.services, client, self.platform, signing_secret=SIGNING_SECRET)

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close()
            self.app = None

    @property
    def bolt(self) -> AsyncApp:
        assert self.app is not None
        return self.app.bolt

    async def dispatch(self, body: str, content_type: str, **sign_kw: Any) -> BoltResponse:
        request = AsyncBoltRequest(
            body=body, headers=sign(body, content_type=content_type, **sign_kw)
        )
        response = await self.bolt.async_dispatch(request)
        await bolt_settled()
        await self.harness.settle()
        return response

    # ---- slash command --------------------------------------------------------
    async def command(
        self,
        text: str,
        *,
        user: str = MEMBER,
        name: str = "",
        channel: str = CHANNEL,
        team: str = TEAM,
    ) -> dict[str, Any]:
        """Run ``/studybot text``; return what the bot sent to the response_url."""
        key = f"cmd-{next(_keys)}"
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "team_domain": "ml-club",
                "channel_id": channel,
                "channel_name": "daily-ml",
                "user_id": user,
                "user_name": name or user.lower(),
                "command": "/studybot",
                "text": text,
                "api_app_id": "A0STUDY01",
                "response_url": self.fake.response_url(key),
                "trigger_id": f"trigger-{key}",
            }
        )
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        assert response.status == 200, response.body
        return self.only_reply(key)

    def only_reply(self, key: str) -> dict[str, Any]:
        replies = self.fake.responses.get(key, [])
        assert len(replies) == 1, f"expected one reply to {key}, got {replies}"
        return replies[0]

    # ---- interactivity --------------------------------------------------------
    async def click(
        self,
        action_id: str,
        *,
        user: str = MEMBER,
        name: str = "",
        channel: str = CHANNEL,
        message_ts: str = "1764000000.000001",
        container: str = "message",
    ) -> dict[str, Any] | None:
        """Press a button; return the reply sent to its response_url (None if none)."""
        key = f"act-{next(_keys)}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "ml-club"},
            "user": {
                "id": user,
                "username": name or user.lower(),
                "name": name or user.lower(),
                "team_id": TEAM,
            },
            "api_app_id": "A0STUDY01",
            "token": "legacy-verification-token",
            "trigger_id": f"trigger-{key}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "answer",
                    "value": action_id.rpartition(":")[2],
                    "action_ts": "1764000001.000001",
                }
            ],
        }
        if container == "message":
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
            }
            payload["channel"] = {"id": channel, "name": "daily-ml"}
            payload["message"] = {"ts": message_ts, "type": "message"}
            payload["response_url"] = self.fake.response_url(key)
        else:
            payload["container"] = {"type": "view", "view_id": "V0HOME001"}
            payload["view"] = {"id": "V0HOME001", "type": "home"}
        body = urlencode({"payload": json.dumps(payload)})
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        assert response.status == 200, response.body
        replies = self.fake.responses.get(key, [])
        assert len(replies) <= 1, replies
        return replies[0] if replies else None

    # ---- events -------------------------------------------------------------------
    async def event(self, event: dict[str, Any], *, team: str = TEAM) -> BoltResponse:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": "A0STUDY01",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(_keys):08d}",
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "team_id": team,
                        "user_id": BOT_USER,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
            }
        )
        return await self.dispatch(body, "application/json")


def web_client_for(settings: SlackSettings) -> Any:
    from bot.config import Settings

    return web_client(Settings(slack=settings), BOT_TOKEN)


def text_of(reply: dict[str, Any]) -> str:
    """Everything a person would read in a reply: its blocks' texts, joined
    (without the zero-width spaces that keep typed markers literal)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"} and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(reply.get("blocks", []))
    text = "\n".join(parts) if parts else str(reply.get("text", ""))
    return text.replace("\u200b", "")
