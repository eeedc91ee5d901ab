"""Typed settings: config/studybot.toml, overridden by environment variables.

Precedence: environment, then the TOML file, then the defaults below. Any
setting can be set from the environment as ``STUDYBOT_<SECTION>__<KEY>``
(e.g. ``STUDYBOT_GAME__DEFAULT_TIMEZONE=Europe/Berlin``); ``STUDYBOT_DB`` is a
short form for the database path. Secrets (``DISCORD_TOKEN``,
``SLACK_BOT_TOKEN``) are read from the environment only and never printed.
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.errors import UserError
from bot.core.reviews import ReviewSettings
from bot.core.scoring import ScoringRules
from bot.core.settings import GameSettings
from bot.core.timeutil import parse_duration, parse_time_of_day, parse_timezone
from bot.resources import default_database, shipped

LOCAL_CONFIG = Path("config/studybot.toml")
"""A config in the folder studybot starts from (a checkout, a deployment)."""
LEGACY_DATABASE = Path("data/studybot.sqlite3")
"""Where the database lived before it moved to the per-user data folder."""
SECRET_KEYS = {
    "discord_token",
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "signing_secret",
    "token",
}


class ConfigError(Exception):
    """One line naming the key and what is allowed."""


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        if isinstance(value, int | float):
            return timedelta(minutes=value)
        return parse_duration(str(value))
    except UserError as exc:
        raise ValueError(str(exc)) from None
    except (OverflowError, ValueError):
        raise ValueError(f"{value!r} is not a duration; use e.g. 30m, 2h or 1h30m") from None


def _timezone(value: Any) -> str:
    try:
        return parse_timezone(str(value)).key
    except UserError as exc:
        raise ValueError(str(exc)) from None


def _time_of_day(value: Any) -> str:
    try:
        return parse_time_of_day(str(value)).strftime("%H:%M")
    except UserError as exc:
        raise ValueError(str(exc)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]
TimeOfDay = Annotated[str, BeforeValidator(_time_of_day)]
TimeZoneName = Annotated[str, BeforeValidator(_timezone)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _built_in_bank() -> list[Path]:
    return [shipped("questions") or Path("questions")]


def _built_in_syllabus() -> Path | None:
    return shipped("config/syllabus.toml")


def _optional_path(value: Any) -> Any:
    return None if value is None or str(value).strip().lower() in {"", "none"} else value


def _postgres_url(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not value.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "must be a PostgreSQL URL like postgresql://studybot@db.example:5432/studybot "
            "(leave it unset for the embedded SQLite database)"
        )
    return value.strip()


class DatabaseSettings(_Section):
    # Default: ~/.local/share/studybot/studybot.sqlite3, the same from any folder.
    path: Path = Field(default_factory=default_database)
    # Set: PostgreSQL instead of SQLite, shared by every bot process that names it.
    # Without a password; that comes from PGPASSWORD or STUDYBOT_DATABASE_URL.
    url: Annotated[str | None, BeforeValidator(_postgres_url)] = None
    # Connections each process keeps open to PostgreSQL.
    pool_size: int = Field(10, ge=2, le=200)
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    busy_timeout_ms: int = Field(5000, ge=0, le=600_000)
    # SQLite's page cache per connection, in MB. The default 2 MB stops holding the
    # pages a reveal touches once a year of scores has piled up (bench/reveal.py).
    cache_mb: int = Field(64, ge=2, le=4096)
    # A daily backup into this folder while the bot runs; unset: no automatic backups.
    backup_dir: Annotated[Path | None, BeforeValidator(_optional_path)] = None
    backup_keep: int = Field(7, ge=1, le=1000)
    backup_at: TimeOfDay = "03:30"


class BankSettings(_Section):
    # Default: the bank that ships with studybot, wherever it is installed.
    dirs: list[Path] = Field(default_factory=_built_in_bank)
    extra_dirs: list[Path] = Field(default_factory=list)
    # Coverage policy for `bank check`; "" turns it off (e.g. for a team's own bank).
    syllabus: Annotated[Path | None, BeforeValidator(_optional_path)] = Field(
        default_factory=_built_in_syllabus
    )

    @property
    def all_dirs(self) -> list[Path]:
        return [*self.dirs, *self.extra_dirs]


class GameSection(_Section):
    default_timezone: TimeZoneName = "UTC"
    default_reveal_after: Duration = timedelta(hours=1)
    late_post_grace: Duration = timedelta(hours=1)
    retry_post_after: Duration = timedelta(minutes=5)
    correct_points: int = Field(10, ge=1, le=1000)
    early_bonus: int = Field(5, ge=0, le=1000)
    leaderboard_size: int = Field(10, ge=1, le=25)
    max_concurrent_posts: int = Field(20, ge=1, le=1000)

    def to_domain(self) -> GameSettings:
        if not timedelta(minutes=1) <= self.default_reveal_after <= timedelta(hours=24):
            raise ValueError("game.default_reveal_after must be between 1m and 24h")
        if not timedelta(0) <= self.late_post_grace <= timedelta(hours=24):
            raise ValueError("game.late_post_grace must be between 0m and 24h")
        return GameSettings(
            default_timezone=self.default_timezone,
            default_reveal_after=self.default_reveal_after,
            late_post_grace=self.late_post_grace,
            retry_post_after=max(self.retry_post_after, timedelta(seconds=10)),
            max_concurrent_posts=self.max_concurrent_posts,
            scoring=ScoringRules(self.correct_points, self.early_bonus),
            leaderboard_size=self.leaderboard_size,
        )


class ReviewSection(_Section):
    # A right multiple-choice answer within this many seconds counts as Easy for
    # spaced repetition (Good when slower, Again when wrong).
    easy_within_seconds: float = Field(10.0, ge=0, le=3600)
    # A /review session nobody touched for this long expires.
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    # The share of cards FSRS aims to have you recall when they fall due.
    desired_retention: float = Field(0.9, gt=0.5, lt=1.0)

    def to_domain(self) -> ReviewSettings:
        return ReviewSettings(
            easy_within=self.easy_within_seconds,
            idle=timedelta(minutes=self.session_idle_minutes),
        )


class TerminalSettings(_Section):
    user: str = Field("you", min_length=1, max_length=32)
    space: str = "terminal"
    channel: str = "console"


class DiscordSettings(_Section):
    # A server id for instant command sync while developing; global sync otherwise.
    dev_guild: int | None = Field(None, gt=0)
    # The gateway shards this process runs when several processes share one
    # database, as "0-3" or "0-3,6" (--shards). Empty: not sharded, unless
    # shard_count is set, which then means all of its shards in this process.
    shards: str = ""
    # The total number of shards across every process (--shard-count); needed
    # with shards. Checked together with shards by bot/adapters/discord/shards.py.
    shard_count: int | None = Field(None, ge=1)


class SlackSettings(_Section):
    # User ids (U…) who may run the admin subcommands besides workspace admins and owners.
    admins: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,20}$")]] = Field(
        default_factory=list
    )
    # At most one message per channel per this many seconds (Slack's guidance is 1).
    min_post_interval: float = Field(1.0, ge=0, le=60)
    # Where `studybot slack --http PORT` listens: the Request URL of the slash
    # command, interactivity and events is http(s)://HOST:PORT/slack/events.
    http_path: str = Field("/slack/events", pattern=r"^/[A-Za-z0-9/_-]*$")
    http_host: str = "0.0.0.0"
    # The Web API base URL; only changed for tests or a proxy.
    api_url: str = Field("https://slack.com/api/", pattern=r"^https?://")


class HealthSettings(_Section):
    # /healthz and /metrics on this port for the long-running commands; unset: off.
    port: int | None = Field(None, ge=0, le=65535)
    host: str = "127.0.0.1"


class ScaleSettings(_Section):
    # Several processes on one PostgreSQL database: each renews a lease every
    # lease_seconds / 3; a process silent for lease_seconds is taken as dead and
    # its schedules, reveals and reminders move to the others.
    lease_seconds: int = Field(30, ge=3, le=3600)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STUDYBOT_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bank: BankSettings = Field(default_factory=BankSettings)
    game: GameSection = Field(default_factory=GameSection)
    review: ReviewSection = Field(default_factory=ReviewSection)
    terminal: TerminalSettings = Field(default_factory=TerminalSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    db: Path | None = Field(None, description="STUDYBOT_DB: short form of database.path")
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    database_url_env: SecretStr | None = Field(None, validation_alias="STUDYBOT_DATABASE_URL")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init arguments; the environment wins over it.
        return (env_settings, init_settings)

    @property
    def database_path(self) -> Path:
        if self.db is not None:
            return self.db
        if (
            "path" not in self.database.model_fields_set
            and LEGACY_DATABASE.is_file()
            and not self.database.path.exists()
        ):
            # Started where an older studybot kept its database: keep using it.
            return LEGACY_DATABASE
        return self.database.path

    @property
    def postgres_url(self) -> str | None:
        """The PostgreSQL URL to use, or None for SQLite: ``STUDYBOT_DATABASE_URL``
        (which may carry a password), else ``database.url``."""
        from_env = self.secret("database_url_env")
        if from_env is not None:
            return str(_postgres_url(from_env))
        return self.database.url

    def secret(self, name: str) -> str | None:
        """A secret's value, or None when unset or blank (never logged)."""
        value: SecretStr | None = getattr(self, name)
        text = value.get_secret_value().strip() if value is not None else ""
        return text or None

    def game_settings(self) -> GameSettings:
        return self.game.to_domain()


def config_file(path: Path | None = None) -> Path | None:
    """The config file to read, in this order: ``--config``, ``STUDYBOT_CONFIG``,
    ``./config/studybot.toml``, then the defaults that ship with studybot."""
    env_path = os.environ.get("STUDYBOT_CONFIG", "").strip()
    if path is not None:
        return path
    if env_path:
        return Path(env_path)
    if LOCAL_CONFIG.is_file():
        return LOCAL_CONFIG
    return shipped("config/studybot.toml")


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (see :func:`config_file`) and the environment; raise
    :class:`ConfigError` on any bad value."""
    data: dict[str, Any] = {}
    file = config_file(path)
    if file is not None:
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {file} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
        _refuse_secrets(data, str(file))
        _refuse_url_password(data, str(file))
    try:
        settings = Settings(**data)
        settings.game_settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except ValueError as exc:
        raise ConfigError(f"config error: {exc}") from None
    return settings


def _refuse_url_password(data: dict[str, Any], source: str) -> None:
    database = data.get("database")
    url = database.get("url") if isinstance(database, dict) else None
    if isinstance(url, str) and urlsplit(url).password is not None:
        raise ConfigError(
            f"config error: database.url in {source} holds a password; secrets are read from "
            "the environment only: drop it from the file and set PGPASSWORD, or put the whole "
            "URL in STUDYBOT_DATABASE_URL"
        )


def _refuse_secrets(data: dict[str, Any], source: str, prefix: str = "") -> None:
    for key, value in data.items():
        if key.lower() in SECRET_KEYS:
            raise ConfigError(
                f"config error: {prefix}{key} in {source}: secrets are read from the environment "
                "only (set DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET), "
                "never from a file"
            )
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            if isinstance(table, dict):
                _refuse_secrets(table, source, f"{prefix}{key}.")


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling against config/studybot.toml)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"config error: {key}: {message}{more}"
