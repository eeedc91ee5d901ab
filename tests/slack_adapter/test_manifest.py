"""config/slack-manifest.yaml asks for exactly what the code uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.adapters.slack.app import COMMAND, EVENTS

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yaml"
# The scope each Web API method the adapter calls needs (auth.test and
# views.publish need none beyond the bot token).
SCOPES_FOR = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "users.info": "users:read",
    "conversations.info": "channels:read",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
EVENT_SCOPES = {"channels:read", "groups:read"}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return data


def test_the_command_and_events_match_the_app() -> None:
    data = manifest()
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    assert commands[0]["should_escape"] is True  # mentions arrive as <@U…|name>
    assert len(commands[0]["description"]) <= 100 and len(commands[0]["usage_hint"]) <= 100
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == set(EVENTS)


def test_exactly_the_scopes_the_code_uses() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", *SCOPES_FOR.values(), *EVENT_SCOPES}


def test_features_the_adapter_relies_on() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True  # drills from Home
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
