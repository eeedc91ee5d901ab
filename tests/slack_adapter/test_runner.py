"""`studybot slack` and `studybot run`: tokens, refusals, and the whole bot over HTTP."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import aiohttp
import discord
import pytest

from bot.__main__ import main, run_all
from bot.adapters.slack.runner import SlackLauncher, run_slack
from bot.config import DatabaseSettings, Settings, SlackSettings
from tests.discord_adapter.fakes import APP_ID, BOT_ID, user_payload
from tests.helpers import free_port
from tests.slack_adapter.fake_api import ADMIN, CHANNEL, TEAM, FakeSlack
from tests.slack_adapter.world import SIGNING_SECRET, sign

BOT_TOKEN = "xoxb-1234-not-a-real-bot-token"
APP_TOKEN = "xapp-1-not-a-real-app-token"


def settings(tmp_path: Path, fake: FakeSlack | None = None, **env: str) -> Settings:
    slack = SlackSettings(api_url=fake.api_url, min_post_interval=0) if fake else SlackSettings()
    return Settings(
        database=DatabaseSettings(path=tmp_path / "db.sqlite3"),
        slack=slack,
        **env,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("env", "http", "expected"),
    [
        ({}, None, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "  "}, None, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, None, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, 3000, "SLACK_SIGNING_SECRET is not set"),
    ],
)
async def test_a_missing_token_exits_with_where_to_get_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    http: int | None,
    expected: str,
) -> None:
    assert await run_slack(settings(tmp_path, **env), http_port=http) == 2
    err = capsys.readouterr().err
    assert expected in err and "Running on Slack" in err and err.count("\n") == 1
    assert not (tmp_path / "db.sqlite3").exists()  # nothing started


def test_the_command_line_without_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STUDYBOT_DB", str(tmp_path / "db.sqlite3"))
    assert main(["slack"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
    assert main(["run"]) == 2
    assert "no platform credentials are set" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["slack", "--http", "99999"])
    assert "is not a port" in capsys.readouterr().err


async def test_a_rejected_token_is_reported_without_echoing_it(
    tmp_path: Path,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_slack.valid_token = False
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    with caplog.at_level(logging.DEBUG):
        assert await run_slack(settings(tmp_path, fake_slack, **env)) == 2
    captured = capsys.readouterr()
    assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in captured.err
    everything = captured.out + captured.err + caplog.text
    assert BOT_TOKEN not in everything and "not-a-real" not in everything
    assert [c.method for c in fake_slack.calls] == ["auth.test"]


def test_settings_never_show_the_tokens(tmp_path: Path) -> None:
    loaded = settings(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
    )
    shown = repr(loaded) + str(loaded.model_dump())
    assert BOT_TOKEN not in shown and APP_TOKEN not in shown and SIGNING_SECRET not in shown


async def post_command(port: int, text: str, *, secret: str = SIGNING_SECRET) -> int:
    body = urlencode(
        {
            "team_id": TEAM,
            "channel_id": CHANNEL,
            "user_id": ADMIN,
            "user_name": "ada",
            "command": "/studybot",
            "text": text,
            "response_url": "http://127.0.0.1:9/unused",
        }
    )
    headers = {
        k: v[0]
        for k, v in sign(
            body, secret=secret, content_type="application/x-www-form-urlencoded"
        ).items()
    }
    async with aiohttp.ClientSession() as session:
        for _ in range(200):  # the server is starting: connection refused until it listens
            try:
                async with session.post(
                    f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                ) as r:
                    return r.status
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.01)
    raise AssertionError("the Slack HTTP server never started")


async def test_run_starts_discord_and_slack_on_one_database(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`studybot run` with both tokens: one runtime, Slack served over HTTP with
    signature checks, Discord logged in, and a command reaching the services."""
    connected: list[bool] = []
    ran = asyncio.Event()

    async def static_login(self: object, token: str) -> dict[str, object]:
        return user_payload(BOT_ID, "studybot", bot=True)

    async def application_info(self: object) -> SimpleNamespace:
        return SimpleNamespace(
            id=APP_ID, interactions_endpoint_url=None, flags=discord.ApplicationFlags()
        )

    async def connect(self: discord.Client, *, reconnect: bool = True) -> None:
        connected.append(reconnect)
        await ran.wait()

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    monkeypatch.setattr(discord.Client, "application_info", application_info)
    monkeypatch.setattr(discord.Client, "connect", connect)
    port = free_port()
    env = {
        "DISCORD_TOKEN": "MTIz.not-a-real-token.abc",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    task = asyncio.create_task(run_all(settings(tmp_path, fake_slack, **env), slack_http=port))
    try:
        # A forged request is refused before any listener runs.
        assert await post_command(port, "help", secret="wrong-secret") == 401
        assert await post_command(port, "daily now") == 200
        await fake_slack.wait_for(lambda: bool(fake_slack.of("chat.postMessage")))
        (posted,) = fake_slack.of("chat.postMessage")
        assert posted["channel"] == CHANNEL and "Daily question #1" in posted["text"]
        assert connected == [True]
    finally:
        ran.set()
    # Discord's connection ending stops the whole process cleanly.
    assert await asyncio.wait_for(task, 10) == 0
    assert (tmp_path / "db.sqlite3").exists()


async def test_socket_mode_connects_with_the_app_token(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    used: list[str] = []
    connected = asyncio.Event()

    async def connect_async(self: AsyncSocketModeHandler) -> None:
        used.append(self.app_token)
        connected.set()

    async def close_async(self: AsyncSocketModeHandler) -> None:
        used.append("closed")

    monkeypatch.setattr(AsyncSocketModeHandler, "connect_async", connect_async)
    monkeypatch.setattr(AsyncSocketModeHandler, "close_async", close_async)
    launcher = SlackLauncher(
        settings(tmp_path, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
    )
    from bot.adapters.launch import run_launchers

    stop = asyncio.Event()
    task = asyncio.create_task(run_launchers(launcher.settings, [launcher], stop=stop))
    await asyncio.wait_for(connected.wait(), 10)
    assert fake_slack.of("auth.test")
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert used == [APP_TOKEN, "closed"]


async def test_a_stopping_worker_lets_acknowledged_clicks_finish(tmp_path: Path) -> None:
    """Bolt acks, then runs the listener as a task of its own; closing the
    launcher waits for such tasks, so the database is not closed under them."""
    from bot.adapters.slack.runner import SlackLauncher

    release = asyncio.Event()
    finished: list[str] = []

    async def run_ack_function_asynchronously() -> None:  # the name Bolt's task carries
        await release.wait()
        finished.append("answer recorded")

    listener = asyncio.create_task(run_ack_function_asynchronously())
    closing = asyncio.create_task(SlackLauncher(settings(tmp_path)).close())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, timeout=5)
    assert finished == ["answer recorded"] and listener.done()
