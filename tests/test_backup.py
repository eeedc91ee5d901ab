"""Backups while the bot runs, restores only when it does not, and the daily job."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.__main__ import main
from bot.storage.backup import BackupError, backup, prune, restore, verify
from bot.storage.database import migrations
from tests.helpers import CHANNEL, Harness, user

NEWEST = migrations()[-1].version


def answers_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    finally:
        conn.close()


async def test_a_backup_while_the_bot_runs_holds_every_committed_answer(
    sqlite_bot: Harness, tmp_path: Path
) -> None:
    bot = sqlite_bot
    round_ = await bot.services.rounds.post_now(CHANNEL)
    for name in ("ann", "bea", "cy"):
        await bot.services.rounds.answer(round_.id, user(name), "a")
    made = backup(bot.db_path, tmp_path / "backups")
    assert made.path.parent == tmp_path / "backups" and made.path.name.startswith("studybot-")
    assert made.schema_version == NEWEST and verify(made.path) == NEWEST
    assert answers_in(made.path) == 3
    # The bot goes on writing; the backup is a snapshot.
    await bot.services.rounds.answer(round_.id, user("dee"), "b")
    assert answers_in(made.path) == 3


async def test_restore_refuses_while_a_bot_uses_the_database(
    sqlite_bot: Harness, tmp_path: Path
) -> None:
    bot = sqlite_bot
    copy = backup(bot.db_path, tmp_path / "copy.sqlite3").path
    with pytest.raises(BackupError, match="a studybot process is using"):
        restore(copy, bot.db_path, NEWEST)


async def test_restore_puts_the_backup_back_and_keeps_what_it_replaced(
    sqlite_bot: Harness, tmp_path: Path
) -> None:
    bot = sqlite_bot
    round_ = await bot.services.rounds.post_now(CHANNEL)
    await bot.services.rounds.answer(round_.id, user("ann"), "a")
    copy = backup(bot.db_path, tmp_path / "copy.sqlite3").path
    await bot.services.rounds.answer(round_.id, user("bea"), "a")
    await bot.stop()
    kept = restore(copy, bot.db_path, NEWEST)
    assert kept is not None and answers_in(kept) == 2
    assert answers_in(bot.db_path) == 1
    await bot.start()  # the restored database opens and recovers the open round
    assert await bot.services.rounds.open_round(CHANNEL) is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a database at all, just some bytes" * 100, "not a readable SQLite database"),
        (None, "does not exist"),
    ],
)
def test_a_bad_backup_is_refused_with_the_reason(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.sqlite3"
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(BackupError, match=message):
        restore(bad, tmp_path / "live.sqlite3", NEWEST)
    assert not (tmp_path / "live.sqlite3").exists()


def test_a_foreign_or_newer_database_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.commit()
    with pytest.raises(BackupError, match="not a studybot database"):
        verify(foreign)


def test_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STUDYBOT_DB", str(tmp_path / "live.sqlite3"))
    assert main(["db", "migrate"]) == 0
    assert main(["db", "backup", str(tmp_path / "one.sqlite3")]) == 0
    assert "checked" in capsys.readouterr().out
    assert main(["db", "restore", str(tmp_path / "one.sqlite3")]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "before-restore" in out
    assert main(["db", "restore", str(tmp_path / "missing.sqlite3")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"studybot-2026110{day}-033000.sqlite3").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup")
    removed = prune(tmp_path, 2)
    assert [p.name[9:17] for p in removed] == ["20261101", "20261102", "20261103"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "studybot-20261104-033000.sqlite3",
        "studybot-20261105-033000.sqlite3",
    ]


async def test_the_daily_backup_job(tmp_path: Path, traveller: time_machine.Traveller) -> None:
    folder = tmp_path / "backups"
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    original = harness.settings

    def settings() -> object:
        made = original()
        made.database.backup_dir = folder
        made.database.backup_keep = 2
        return made

    harness.settings = settings  # type: ignore[method-assign]
    await harness.start()
    try:
        start = harness.now
        for day in range(3):
            await harness.move_to(
                datetime(start.year, start.month, start.day, 3, 31, tzinfo=start.tzinfo)
                + timedelta(days=day + 1)
            )
        kept = sorted(p.name for p in folder.iterdir())
        assert len(kept) == 2 and all(verify(folder / name) == NEWEST for name in kept)
    finally:
        await harness.stop()
