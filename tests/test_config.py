"""Settings: defaults, the TOML file, environment overrides and clear errors."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.core.scoring import ScoringRules

SECRET = "xoxb-very-secret-value-123"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No config file in the working directory and no STUDYBOT_* / token variables."""
    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith("STUDYBOT") or upper in {
            "DISCORD_TOKEN",
            "SLACK_BOT_TOKEN",
            "SLACK_APP_TOKEN",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(tmp_path: Path, text: str, name: str = "studybot.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message, "a config error is one line"
    return message


# --------------------------------------------------------------------------- defaults and file


REPO = Path(__file__).resolve().parents[1]


def test_defaults_without_any_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """From a folder with no config: the shipped defaults, the built-in bank, and
    the database in the per-user data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    settings = load_settings()
    expected = tmp_path / "xdg" / "studybot" / "studybot.sqlite3"
    assert settings.database.path == expected
    assert settings.database_path == expected
    assert settings.database.synchronous == "NORMAL"
    assert settings.database.busy_timeout_ms == 5000
    assert settings.database.cache_mb == 64
    assert settings.bank.all_dirs == [REPO / "questions"]
    assert settings.bank.syllabus == REPO / "config" / "syllabus.toml"
    assert settings.game.default_timezone == "UTC"
    assert settings.game.default_reveal_after == timedelta(hours=1)
    assert settings.logging.level == "INFO"
    assert settings.discord_token is None
    game = settings.game_settings()
    assert game.default_timezone == "UTC"
    review = settings.review.to_domain()
    assert (review.easy_within, review.idle) == (10.0, timedelta(minutes=30))
    assert settings.review.desired_retention == 0.9
    assert game.scoring == ScoringRules(10, 5)
    assert game.leaderboard_size == 10


def test_the_home_folder_is_the_default_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings().database_path == tmp_path / ".local/share/studybot/studybot.sqlite3"


def test_an_older_database_in_the_folder_is_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where an earlier studybot kept data/studybot.sqlite3, it goes on using it,
    unless a database path is set or the new default exists already."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "studybot.sqlite3").write_bytes(b"")
    assert load_settings().database_path == Path("data/studybot.sqlite3")
    monkeypatch.setenv("STUDYBOT_DATABASE__PATH", str(tmp_path / "elsewhere.sqlite3"))
    assert load_settings().database_path == tmp_path / "elsewhere.sqlite3"


def test_config_file_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.config import config_file

    assert config_file() == REPO / "config" / "studybot.toml"  # the shipped defaults
    local = tmp_path / "config" / "studybot.toml"
    local.parent.mkdir()
    local.write_text("[game]\ndefault_timezone = 'Asia/Tokyo'\n")
    assert config_file() == Path("config/studybot.toml")
    assert load_settings().game.default_timezone == "Asia/Tokyo"
    monkeypatch.setenv("STUDYBOT_CONFIG", str(tmp_path / "env.toml"))
    assert config_file() == tmp_path / "env.toml"
    assert config_file(tmp_path / "flag.toml") == tmp_path / "flag.toml"


def test_shipped_config_file_loads() -> None:
    shipped = Path(__file__).resolve().parents[1] / "config" / "studybot.toml"
    settings = load_settings(shipped)
    assert settings.game.default_timezone == "UTC"
    assert settings.database.synchronous in {"NORMAL", "FULL"}


def test_reads_a_toml_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[database]
path = "var/bot.db"
synchronous = "FULL"
busy_timeout_ms = 250

[bank]
dirs = ["packs"]
extra_dirs = ["team-packs"]

[game]
default_timezone = "Europe/Berlin"
default_reveal_after = "1h30m"
late_post_grace = 45
correct_points = 20
early_bonus = 0
leaderboard_size = 25

[terminal]
user = "ada"

[logging]
level = "DEBUG"
""",
    )
    settings = load_settings(path)
    assert settings.database_path == Path("var/bot.db")
    assert settings.database.synchronous == "FULL"
    assert settings.database.busy_timeout_ms == 250
    assert settings.bank.all_dirs == [Path("packs"), Path("team-packs")]
    assert settings.game.default_timezone == "Europe/Berlin"
    assert settings.game.default_reveal_after == timedelta(minutes=90)
    assert settings.game.late_post_grace == timedelta(minutes=45)  # a bare number is minutes
    assert settings.terminal.user == "ada"
    assert settings.logging.level == "DEBUG"
    game = settings.game_settings()
    assert game.scoring == ScoringRules(correct_points=20, early_bonus=0)
    assert game.leaderboard_size == 25


def test_default_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    write(tmp_path / "config", '[game]\ndefault_timezone = "Asia/Kolkata"\n')
    assert load_settings().game.default_timezone == "Asia/Kolkata"


def test_studybot_config_variable_points_at_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[game]\ndefault_timezone = "America/New_York"\n', "other.toml")
    monkeypatch.setenv("STUDYBOT_CONFIG", str(path))
    assert load_settings().game.default_timezone == "America/New_York"


def test_timezone_is_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, '[game]\ndefault_timezone = "utc"\n')
    assert load_settings(path).game.default_timezone == "UTC"


# --------------------------------------------------------------------------- environment


def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path,
        '[game]\ndefault_timezone = "Asia/Tokyo"\ncorrect_points = 20\n'
        '[database]\npath = "from-file.db"\n',
    )
    monkeypatch.setenv("STUDYBOT_GAME__DEFAULT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("STUDYBOT_DB", str(tmp_path / "from-env.db"))
    settings = load_settings(path)
    assert settings.game.default_timezone == "Europe/Berlin"
    assert settings.game.correct_points == 20  # the rest of the section still comes from the file
    assert settings.database_path == tmp_path / "from-env.db"


def test_environment_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYBOT_GAME__LEADERBOARD_SIZE", "5")
    monkeypatch.setenv("STUDYBOT_DATABASE__SYNCHRONOUS", "FULL")
    monkeypatch.setenv("STUDYBOT_GAME__DEFAULT_REVEAL_AFTER", "2h")
    settings = load_settings()
    assert settings.game.leaderboard_size == 5
    assert settings.database.synchronous == "FULL"
    assert settings.game.default_reveal_after == timedelta(hours=2)


def test_discord_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    settings = load_settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings)


def test_bad_environment_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYBOT_GAME__DEFAULT_TIMEZONE", "Mars/Base")
    message = config_error()
    assert "game.default_timezone" in message
    assert "IANA" in message


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("toml", "key", "allowed"),
    [
        ('[game]\ndefault_timezone = "Mars/Base"', "game.default_timezone", "IANA time zone"),
        ('[game]\ndefault_timezone = "+02:00"', "game.default_timezone", "Europe/Berlin"),
        ('[database]\nsynchronous = "OFF"', "database.synchronous", "'NORMAL' or 'FULL'"),
        ("[database]\nbusy_timeout_ms = -1", "database.busy_timeout_ms", "greater than or equal"),
        ('[database]\nbusy_timeout_ms = "soon"', "database.busy_timeout_ms", "integer"),
        ("[game]\nleaderboard_size = 26", "game.leaderboard_size", "less than or equal to 25"),
        ("[game]\ncorrect_points = 0", "game.correct_points", "greater than or equal to 1"),
        ('[game]\nlate_post_grace = "soon"', "game.late_post_grace", "not a duration"),
        ('[logging]\nlevel = "LOUD"', "logging.level", "DEBUG"),
        ('[terminal]\nuser = ""', "terminal.user", "at least 1 character"),
        ('[game]\ndefault_reveal_after = "25h"', "game.default_reveal_after", "between 1m and 24h"),
        ('[game]\ndefault_reveal_after = "30s"', "game.default_reveal_after", "between 1m and 24h"),
        ("[review]\ndesired_retention = 1.2", "review.desired_retention", "less than 1"),
        ("[review]\nsession_idle_minutes = 0", "review.session_idle_minutes", "greater than"),
        ("[review]\neasy_within_seconds = -1", "review.easy_within_seconds", "greater than"),
    ],
)
def test_bad_value_names_the_key_and_what_is_allowed(
    tmp_path: Path, toml: str, key: str, allowed: str
) -> None:
    message = config_error(write(tmp_path, toml + "\n"))
    assert key in message
    assert allowed in message


def test_several_errors_are_counted(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, "[game]\ncorrect_points = 0\nearly_bonus = -1\n"))
    assert "game.correct_points" in message
    assert "(and 1 more)" in message


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[game]\nfoo = 1", "game.foo"),
        ("[databse]\npath = 'x.db'", "databse"),
        ("colour = 'blue'", "colour"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, toml: str, key: str) -> None:
    message = config_error(write(tmp_path, toml + "\n"))
    assert key in message
    assert "unknown setting" in message


def test_unknown_nested_environment_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYBOT_GAME__CORECT_POINTS", "3")
    message = config_error()
    assert "game.corect_points" in message
    assert "unknown setting" in message


@pytest.mark.parametrize(
    "toml",
    [
        f'token = "{SECRET}"',
        f'discord_token = "{SECRET}"',
        f'DISCORD_TOKEN = "{SECRET}"',
        f'[discord]\ntoken = "{SECRET}"',
        f'[slack]\nslack_bot_token = "{SECRET}"',
        f'slack_app_token = "{SECRET}"',
        f'[game]\ntoken = "{SECRET}"',
        f'[[discord]]\ntoken = "{SECRET}"',
    ],
)
def test_secret_in_the_file_is_refused_without_echoing_it(tmp_path: Path, toml: str) -> None:
    message = config_error(write(tmp_path, toml + "\n"))
    assert "secrets are read from the environment" in message
    assert "token" in message.lower()
    assert SECRET not in message
    assert "studybot.toml" in message  # names the file


def test_secret_refused_even_when_the_environment_has_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "env-token")
    message = config_error(write(tmp_path, f'[discord]\ntoken = "{SECRET}"\n'))
    assert SECRET not in message and "env-token" not in message
    assert "environment" in message


@pytest.mark.parametrize(
    "toml",
    [
        "[game\ncorrect_points = 3",
        "correct_points = ",
        'token = "unterminated',
        "[game]\ncorrect_points = 1\ncorrect_points = 2",
    ],
)
def test_invalid_toml_names_the_file(tmp_path: Path, toml: str) -> None:
    path = write(tmp_path, toml + "\n", "broken.toml")
    message = config_error(path)
    assert "broken.toml" in message
    assert "not valid TOML" in message


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[terminal]\nuser = "J\xf6rg"\n')
    message = config_error(path)
    assert "latin1.toml" in message


def test_missing_file_given_explicitly(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nope.toml")
    assert "nope.toml" in message
    assert "does not exist" in message


def test_missing_file_from_studybot_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYBOT_CONFIG", str(tmp_path / "gone.toml"))
    message = config_error()
    assert "gone.toml" in message and "does not exist" in message


@pytest.mark.parametrize(
    "value", ["inf", '"99999999999d"', "1e20"], ids=["inf", "huge-text", "huge-number"]
)
def test_huge_duration_is_a_config_error(tmp_path: Path, value: str) -> None:
    message = config_error(write(tmp_path, f"[game]\nlate_post_grace = {value}\n"))
    assert "game.late_post_grace" in message


def test_settings_class_forbids_unknown_arguments() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        Settings(nonsense=1)  # type: ignore[call-arg]
