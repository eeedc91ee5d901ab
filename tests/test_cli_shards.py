"""``--shards``/``--shard-count`` on ``studybot discord`` and ``studybot run``, and
their config twins: a bad pair exits 2 with one line saying what is allowed,
before any database is opened or anything connects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.adapters.discord import runner
from bot.adapters.discord.shards import ShardPlan, compact, plan_shards
from bot.config import Settings


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No config file or STUDYBOT_* variables from outside; a token, so the shards
    are the only thing that can stop a start; a database path to watch."""
    for name in list(os.environ):
        if name.upper().startswith("STUDYBOT") or name.upper().endswith("_TOKEN"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.not-a-real-token.abcdefghijklmnop")
    monkeypatch.setenv("STUDYBOT_DB", str(tmp_path / "db.sqlite3"))
    return tmp_path


@pytest.fixture
def never_start(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """Replaces the Discord runner: records the settings it would have started with."""
    started: list[Settings] = []

    async def run_discord(settings: Settings, *, sync: bool) -> int:
        started.append(settings)
        return 0

    monkeypatch.setattr(runner, "run_discord", run_discord)
    return started


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("command", ["discord", "run"])
@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--shards", "0-9", "--shard-count", "8"], "shard 9 does not exist"),
        (["--shards", "0-3"], "needs --shard-count"),
        (["--shards", "3-1", "--shard-count", "8"], "runs backwards"),
        (["--shards", "0-3,2", "--shard-count", "8"], "named twice"),
        (["--shards", "a-b", "--shard-count", "8"], "not a shard number or a range"),
        (["--shards", "0-3", "--shard-count", "0"], "whole number from 1 to 65,536"),
        (["--shards", "0-3", "--shard-count", "eight"], "whole number from 1 to 65,536"),
        (["--shard-count", "-2"], "whole number from 1 to 65,536"),
        (["--shard-count", "80000000"], "whole number from 1 to 65,536"),
    ],
)
def test_bad_shards_exit_2_with_one_line_before_anything_opens(
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    never_start: list[Settings],
    command: str,
    options: list[str],
    says: str,
) -> None:
    line = refused(capsys, [command, *options])
    assert line.startswith(f"studybot {command}: ") and says in line
    assert never_start == [] and not (isolated / "db.sqlite3").exists()


def test_the_message_says_what_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, ["discord", "--shards", "0-9", "--shard-count", "8"])
    assert "numbered 0-7" in line
    line = refused(capsys, ["discord", "--shards", "0-3"])
    assert "--shards 0-3 --shard-count 8" in line  # an example to copy


def test_bad_shards_in_the_config_are_refused_the_same_way(
    isolated: Path, capsys: pytest.CaptureFixture[str], never_start: list[Settings]
) -> None:
    (isolated / "studybot.toml").write_text('[discord]\nshards = "0-3"\n', encoding="utf-8")
    line = refused(capsys, ["--config", "studybot.toml", "discord"])
    assert "needs --shard-count (discord.shard_count)" in line
    assert never_start == []


def test_a_config_count_below_one_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STUDYBOT_DISCORD__SHARD_COUNT", "0")
    assert main(["discord"]) == 2
    assert "shard_count" in capsys.readouterr().err


def test_good_shards_reach_the_launcher_through_the_settings(
    never_start: list[Settings],
) -> None:
    assert main(["discord", "--shards", "4-7", "--shard-count", "8"]) == 0
    (settings,) = never_start
    assert (settings.discord.shards, settings.discord.shard_count) == ("4-7", 8)
    assert runner.DiscordLauncher(settings).shards() == ShardPlan((4, 5, 6, 7), 8)


def test_the_command_line_wins_over_the_config(
    monkeypatch: pytest.MonkeyPatch, never_start: list[Settings]
) -> None:
    monkeypatch.setenv("STUDYBOT_DISCORD__SHARDS", "0-3")
    monkeypatch.setenv("STUDYBOT_DISCORD__SHARD_COUNT", "8")
    assert main(["discord"]) == 0
    assert main(["discord", "--shards", "2", "--shard-count", "4"]) == 0
    config, cli = never_start
    assert (config.discord.shards, config.discord.shard_count) == ("0-3", 8)
    assert (cli.discord.shards, cli.discord.shard_count) == ("2", 4)


def test_without_options_nothing_is_sharded(never_start: list[Settings]) -> None:
    assert main(["discord"]) == 0
    (settings,) = never_start
    assert runner.DiscordLauncher(settings).shards() is None


def test_run_takes_the_options_too(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    async def run_launchers(settings: Settings, launchers: list[Any]) -> int:
        seen.extend(launcher.shards() for launcher in launchers if launcher.name == "discord")
        return 0

    import bot.adapters.launch

    monkeypatch.setattr(bot.adapters.launch, "run_launchers", run_launchers)
    assert main(["run", "--shards", "0,2", "--shard-count", "3"]) == 0
    assert seen == [ShardPlan((0, 2), 3)]


@pytest.mark.parametrize(
    ("shards", "count", "plan", "label"),
    [
        ("", None, None, ""),
        ("  ", None, None, ""),
        ("0-3", 8, ShardPlan((0, 1, 2, 3), 8), "0-3 of 8"),
        ("0-3,6", "8", ShardPlan((0, 1, 2, 3, 6), 8), "0-3,6 of 8"),
        ("6, 0-1", 8, ShardPlan((0, 1, 6), 8), "0-1,6 of 8"),
        ("", 4, ShardPlan((0, 1, 2, 3), 4), "0-3 of 4"),
        ("0", 1, ShardPlan((0,), 1), "0 of 1"),
    ],
)
def test_plans(shards: str, count: int | str | None, plan: ShardPlan | None, label: str) -> None:
    made = plan_shards(shards, count)
    assert made == plan
    assert (made.label if made is not None else "") == label


def test_compact() -> None:
    assert compact((0, 2, 3, 4, 7, 9, 10)) == "0,2-4,7,9-10"
    assert compact(()) == ""
