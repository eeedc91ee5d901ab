"""Command line: ``studybot [console|discord|slack|run|bank|db] ...`` (also ``python -m bot``).

With no arguments it runs the terminal adapter on the default SQLite file, so
a fresh clone can try the bot with no chat account and no token.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import __version__, process
from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM
from bot.app import BankError, build_runtime
from bot.bank.commands import run_check, run_stats
from bot.config import ConfigError, Settings, load_settings
from bot.core.clock import SystemClock
from bot.core.models import UserRef
from bot.core.ownership import Worker
from bot.core.privacy import PrivacyService
from bot.health import start_health
from bot.storage import Database, SqlStore
from bot.storage.backup import BackupError, backup, restore
from bot.storage.database import apply_migrations, migrations, schema_version
from bot.storage.opening import open_database
from bot.storage.pg.database import PgDatabase
from bot.storage.pg.migrate import apply_pg_migrations, pg_migrations, pg_schema_version

log = logging.getLogger("studybot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studybot", description="Daily ML-interview questions for chat teams."
    )
    parser.add_argument("--version", action="version", version=f"studybot {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: config/studybot.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    health = argparse.ArgumentParser(add_help=False)
    health.add_argument(
        "--health-port",
        type=_health_port,
        metavar="PORT",
        help="serve /healthz and /metrics on PORT (health.port in the config)",
    )
    console = commands.add_parser(
        "console", parents=[health], help="run the bot in this terminal (the default)"
    )
    console.add_argument("--user", help="who you are to start with (switch later with /as NAME)")

    shards = argparse.ArgumentParser(add_help=False)
    shards.add_argument(
        "--shards",
        metavar="IDS",
        help="run only these Discord gateway shards, like 0-3 or 0-3,6, when several "
        "processes share one database (discord.shards in the config)",
    )
    shards.add_argument(
        "--shard-count",
        metavar="N",
        help="the total number of Discord shards across every process; alone, this "
        "process runs all N (discord.shard_count)",
    )
    discord_cmd = commands.add_parser(
        "discord", parents=[health, shards], help="run the bot on Discord (needs DISCORD_TOKEN)"
    )
    discord_cmd.add_argument(
        "--sync",
        action="store_true",
        help="push the slash commands to Discord at start-up (to discord.dev_guild if set)",
    )

    slack_cmd = commands.add_parser(
        "slack",
        parents=[health],
        help="run the bot on Slack (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)",
    )
    slack_cmd.add_argument(
        "--http",
        type=_port,
        metavar="PORT",
        help="serve Slack's HTTP requests on PORT instead of Socket Mode "
        "(needs SLACK_SIGNING_SECRET)",
    )

    run = commands.add_parser(
        "run",
        parents=[health, shards],
        help="run every platform whose credentials are set, in one process",
    )
    run.add_argument("--sync", action="store_true", help="as for `studybot discord --sync`")
    run.add_argument("--slack-http", type=_port, metavar="PORT", help="as `studybot slack --http`")

    bank = commands.add_parser("bank", help="check or describe the question bank")
    bank_cmds = bank.add_subparsers(dest="bank_command", metavar="ACTION", required=True)
    check = bank_cmds.add_parser(
        "check", help="validate every question pack; non-zero exit on problems"
    )
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    bank_cmds.add_parser("stats", help="counts by topic, difficulty and kind")
    bank_cmds.add_parser("reports", help="open reports of wrong or unclear questions")

    privacy = commands.add_parser("privacy", help="export or erase one person's data")
    privacy_cmds = privacy.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    for action, text in (
        ("export", "print everything stored about a person as JSON"),
        ("delete", "erase a person's answers, scores, streaks, drills, groups and reports"),
    ):
        sub = privacy_cmds.add_parser(action, help=text)
        sub.add_argument("--platform", required=True, help="discord, slack or terminal")
        sub.add_argument("--user", required=True, help="the platform's user id")

    db = commands.add_parser("db", help="database maintenance")
    db_cmds = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_cmds.add_parser("migrate", help="bring the schema up to date")
    db_cmds.add_parser("status", help="show where the database is and its schema version")
    backup_cmd = db_cmds.add_parser(
        "backup", help="copy the database consistently, even while the bot runs"
    )
    backup_cmd.add_argument("target", type=Path, help="a file, or a folder for a dated file")
    restore_cmd = db_cmds.add_parser(
        "restore", help="replace the database with a backup (the bot must be stopped)"
    )
    restore_cmd.add_argument("source", type=Path, help="the backup file")
    return parser


def _health_port(text: str) -> int:
    return 0 if text.strip() == "0" else _port(text)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port; use a number from 1 to 65535")
    return port


def _apply_shards(settings: Settings, args: argparse.Namespace) -> str | None:
    """Put ``--shards``/``--shard-count`` over the config's and check the pair,
    before anything connects; the one-line reason when they are refused."""
    from bot.adapters.discord.shards import plan_shards  # free of discord.py

    count: int | str | None = settings.discord.shard_count
    if args.shard_count is not None:
        count = args.shard_count
    if args.shards is not None:
        settings.discord.shards = args.shards
    try:
        plan = plan_shards(settings.discord.shards, count)
    except ValueError as exc:
        return str(exc)
    if plan is not None:  # the launcher reads the pair from the settings again
        settings.discord.shard_count = plan.count
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    command = args.command or "console"
    if getattr(args, "health_port", None) is not None:
        settings.health.port = args.health_port
    if command in {"discord", "run"} and (refused := _apply_shards(settings, args)) is not None:
        print(f"studybot {command}: {refused}", file=sys.stderr)
        return 2
    quiet_default = logging.WARNING if command == "console" else logging.INFO
    configured = getattr(logging, settings.logging.level)
    level = logging.DEBUG if args.verbose else max(configured, quiet_default)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    try:
        if command == "console":
            return process.run(run_console(settings, getattr(args, "user", None)))
        if command == "discord":
            from bot.adapters.discord.runner import run_discord

            return process.run(run_discord(settings, sync=args.sync))
        if command == "slack":
            from bot.adapters.slack.runner import run_slack

            return process.run(run_slack(settings, http_port=args.http))
        if command == "run":
            return process.run(run_all(settings, sync=args.sync, slack_http=args.slack_http))
        if command == "bank":
            return _bank(settings, args.bank_command, args)
        if command == "privacy":
            return asyncio.run(_privacy(settings, args))
        if command == "db":
            if args.db_command in {"backup", "restore"}:
                return _backup(settings, args)
            return asyncio.run(_db(settings, args.db_command))
    except BankError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{exc}; fix them (studybot bank check) and start again", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse rejects other commands


def _bank(settings: Settings, action: str, args: argparse.Namespace) -> int:
    dirs = settings.bank.all_dirs
    if action == "check":
        return run_check(dirs, strict=args.strict, out=sys.stdout, syllabus=settings.bank.syllabus)
    if action == "stats":
        return run_stats(dirs, out=sys.stdout)
    return asyncio.run(_reports(settings))


async def _reports(settings: Settings) -> int:
    db = await open_database(settings)
    try:
        reports = await SqlStore(db).open_reports()
    finally:
        await db.close()
    if not reports:
        print("no open question reports")
    for r in reports:
        where = f" in {r.space}" if r.space else ""
        print(f"#{r.id}\t{r.question_id}\t{r.created_at:%Y-%m-%d}\t{r.reporter}{where}: {r.reason}")
    return 0


async def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    """For admins acting on a deletion request that came by email or support ticket."""
    person = UserRef(args.platform.strip().lower(), args.user.strip())
    db = await open_database(settings)
    try:
        service = PrivacyService(store=SqlStore(db), clock=SystemClock())
        if args.privacy_command == "export":
            print(await service.export_json(person))
            return 0
        erased = await service.delete(person)
    finally:
        await db.close()
    print(f"erased {person.platform} user {person.external_id}: {erased.summary()}")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    if settings.postgres_url is not None:
        print(
            f"db {args.db_command}: the store is PostgreSQL; use pg_dump and pg_restore "
            "(README: 'Running at scale')",
            file=sys.stderr,
        )
        return 2
    database = settings.database_path
    try:
        if args.db_command == "backup":
            made = backup(database, args.target)
            print(
                f"backed up {database} to {made.path} ({made.size_bytes / 1e6:.1f} MB, "
                f"schema version {made.schema_version}, checked)"
            )
            return 0
        kept = restore(args.source, database, migrations()[-1].version)
    except BackupError as exc:
        print(f"db {args.db_command}: {exc}", file=sys.stderr)
        return 1
    print(f"restored {database} from {args.source}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept}")
    return 0


async def _db(settings: Settings, action: str) -> int:
    if settings.postgres_url is not None:
        return await _pg_db(settings, action)
    db = Database(settings.database_path)
    await db.open(migrate=False)
    try:
        conn = db.reader
        if action == "migrate":
            applied = await apply_migrations(conn)
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")
        version = await schema_version(conn)
        newest = migrations()[-1].version
        print(f"{settings.database_path}: schema version {version} (newest {newest})")
        return 0 if version == newest else 1
    finally:
        await db.close()


async def _pg_db(settings: Settings, action: str) -> int:
    """``db migrate`` / ``db status`` on the shared PostgreSQL store."""
    db = PgDatabase(settings.postgres_url or "")
    await db.open(migrate=False)
    try:
        async with db.pool.acquire() as conn:
            if action == "migrate":
                applied = await apply_pg_migrations(conn)
                print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")
            version = await pg_schema_version(conn)
        newest = pg_migrations()[-1].version
        print(f"{db.where}: schema version {version} (newest {newest})")
        if version >= WORKERS_SCHEMA:
            print_workers(await SqlStore(db).list_workers(), datetime.now(UTC))
        return 0 if version == newest else 1
    finally:
        await db.close()


WORKERS_SCHEMA = 7
"""The migration that made the ``workers`` table."""


def print_workers(workers: list[Worker], now: datetime) -> None:
    """The bot processes sharing the store, live first, with what each owns."""
    live = [w for w in workers if w.live(now)]
    print(f"{len(live)} live process(es)" + (":" if workers else ""))
    for w in sorted(workers, key=lambda w: (not w.live(now), w.name)):
        left = (w.expires_at - now).total_seconds()
        lease = f"lease {left:.0f}s left" if left > 0 else f"EXPIRED {-left:.0f}s ago"
        shards = f", shards {w.shards}" if w.shards else ""
        print(
            f"  {w.name}  {','.join(sorted(w.platforms)) or '-'}{shards}; {lease}; "
            f"owns {w.schedules} schedules, {w.rounds} pending reveals, "
            f"{w.reminders} reminders; up since {w.started_at:%Y-%m-%d %H:%M:%S} UTC"
        )


NO_PLATFORM = (
    "no platform credentials are set: set DISCORD_TOKEN for Discord, SLACK_BOT_TOKEN and "
    "SLACK_APP_TOKEN for Slack (README: 'Running on Discord', 'Running on Slack'), or try "
    "the bot in this terminal with `studybot console`"
)


async def run_all(settings: Settings, *, sync: bool = False, slack_http: int | None = None) -> int:
    """Every platform whose token is set, on one database and one scheduler."""
    from bot.adapters.launch import Launcher, run_launchers

    chosen: list[Launcher] = []
    if settings.secret("discord_token") is not None:
        from bot.adapters.discord.runner import DiscordLauncher

        chosen.append(DiscordLauncher(settings, sync=sync))
    if settings.secret("slack_bot_token") is not None:
        from bot.adapters.slack.runner import SlackLauncher

        chosen.append(SlackLauncher(settings, http_port=slack_http))
    if not chosen:
        print(NO_PLATFORM, file=sys.stderr)
        return 2
    return await run_launchers(settings, chosen)


async def _stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines from a daemon thread, so a blocked read never holds up exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


def _write(text: str) -> None:
    print(text, flush=True)


async def run_console(settings: Settings, user: str | None, stdin: TextIO | None = None) -> int:
    stream = stdin or sys.stdin
    interactive = stream.isatty()
    runtime = await build_runtime(settings)
    runtime.platforms[PLATFORM] = TerminalPlatform(_write)
    async with runtime:
        health = await start_health(runtime, settings.health.port, settings.health.host)
        await runtime.start()
        console = Console(
            runtime.services,
            _write,
            user_name=user or settings.terminal.user,
            space=settings.terminal.space,
            channel_name=settings.terminal.channel,
        )
        if interactive:
            _write(
                f"studybot {__version__} — {len(runtime.services.bank)} questions, "
                f"database {settings.database_path}. Type /help; Ctrl-D quits."
            )
        try:
            await console.run(_stdin_lines(stream), echo=not interactive)
        finally:
            if health is not None:
                await health.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
