"""`studybot discord`: token handling, and the whole bot starting and stopping."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest

from bot.adapters.discord.client import INVITE_PERMISSIONS
from bot.adapters.discord.runner import run_discord
from bot.config import DatabaseSettings, Settings
from tests.discord_adapter.fakes import APP_ID, BOT_ID, user_payload

SECRET = "MTIz.not-a-real-token.abcdefghijklmnop"


def settings(tmp_path: Path, token: str | None) -> Settings:
    env = {"DISCORD_TOKEN": token} if token is not None else {}
    return Settings(database=DatabaseSettings(path=tmp_path / "db.sqlite3"), **env)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", [None, "", "   "])
async def test_no_token_exits_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], token: str | None
) -> None:
    assert await run_discord(settings(tmp_path, token), sync=False) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "developers/applications" in err
    assert not (tmp_path / "db.sqlite3").exists()  # nothing started


async def test_a_rejected_token_is_reported_without_echoing_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refuse(self: object, token: str) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", refuse)
    with caplog.at_level(logging.DEBUG):
        assert await run_discord(settings(tmp_path, SECRET), sync=False) == 2
    captured = capsys.readouterr()
    assert "rejected DISCORD_TOKEN" in captured.err
    everything = captured.out + captured.err + caplog.text
    assert SECRET not in everything and "not-a-real-token" not in everything


def test_settings_never_show_the_token(tmp_path: Path) -> None:
    loaded = settings(tmp_path, SECRET)
    assert SECRET not in repr(loaded) and SECRET not in str(loaded.model_dump())


def test_invite_permissions_are_the_documented_minimum() -> None:
    assert INVITE_PERMISSIONS.value == 84992


async def test_the_bot_starts_syncs_on_request_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole `studybot discord --sync` path with Discord's side replaced."""
    synced: list[list[dict[str, object]]] = []
    connected: list[bool] = []

    async def static_login(self: object, token: str) -> dict[str, object]:
        return user_payload(BOT_ID, "studybot", bot=True)

    async def application_info(self: object) -> SimpleNamespace:
        return SimpleNamespace(
            id=APP_ID, interactions_endpoint_url=None, flags=discord.ApplicationFlags()
        )

    async def upsert(
        self: object, application_id: int, payload: list[dict[str, object]]
    ) -> list[object]:
        synced.append(payload)
        return []

    async def connect(self: discord.Client, *, reconnect: bool = True) -> None:
        connected.append(reconnect)

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    monkeypatch.setattr(discord.Client, "application_info", application_info)
    monkeypatch.setattr(discord.http.HTTPClient, "bulk_upsert_global_commands", upsert)
    monkeypatch.setattr(discord.Client, "connect", connect)

    assert await run_discord(settings(tmp_path, SECRET), sync=True) == 0
    assert connected == [True]
    (commands,) = synced
    assert {c["name"] for c in commands} >= {"daily", "drill", "leaderboard", "help"}
    assert (tmp_path / "db.sqlite3").exists()

    synced.clear()
    assert await run_discord(settings(tmp_path, SECRET), sync=False) == 0
    assert synced == []  # never on a plain start
