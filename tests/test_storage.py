"""The write transaction on both stores; schema migrations, pragmas and the WAL
on real SQLite files (PostgreSQL's migrations: tests/test_pg_migrations.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.storage.database import Database, apply_migrations, migrations, schema_version
from bot.storage.pg.database import PgDatabase
from bot.storage.sql import Connection
from tests.sql_scan import scan_tree, unsafe_sql


@pytest.fixture
async def store(store_target: Path | str) -> AsyncIterator[Database | PgDatabase]:
    """An open, migrated database: a SQLite file, then a PostgreSQL database,
    so whatever the write transaction promises is checked on both."""
    db: Database | PgDatabase = (
        PgDatabase(store_target) if isinstance(store_target, str) else Database(store_target)
    )
    async with db:
        yield db


def integrity_error(db: Database | PgDatabase) -> type[Exception]:
    """What a broken constraint raises through ``db.write()``: the driver's own
    error, passed on unchanged (only lock and connection trouble is mapped)."""
    if isinstance(db, PgDatabase):
        return asyncpg.IntegrityConstraintViolationError
    return sqlite3.IntegrityError


async def count_of(db: Database | PgDatabase, sql: str) -> int:
    ((found,),) = await db.reader.execute_fetchall(sql)
    return int(found)


def schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    return [(name, sql or "") for name, sql in rows]


async def test_migrates_an_empty_file_to_the_newest_version(tmp_path: Path) -> None:
    async with Database(tmp_path / "new.sqlite3") as db:
        assert await schema_version(db.reader) == migrations()[-1].version
    tables = {name for name, _ in schema(tmp_path / "new.sqlite3")}
    assert {"rounds", "answers", "scores", "streaks", "schedules", "study_groups"} <= tables


@pytest.mark.parametrize("start", range(len(migrations())))
async def test_upgrades_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    """A database left at any older version ends with the same schema as a new one."""
    old, fresh = tmp_path / "old.sqlite3", tmp_path / "fresh.sqlite3"
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        await apply_migrations(conn, target=start)
        assert await schema_version(conn) == start
    async with Database(old):
        pass
    async with Database(fresh):
        pass
    assert schema(old) == schema(fresh)


async def test_reopening_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with Database(path):
        pass
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn) == []


async def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(RuntimeError, match="newer than this studybot"):
        await Database(path).open()


async def test_pragmas(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite3", synchronous="FULL") as db:
        async with db.reader.execute("PRAGMA journal_mode") as cur:
            assert tuple(await cur.fetchone() or ()) == ("wal",)
        async with db.reader.execute("PRAGMA foreign_keys") as cur:
            assert tuple(await cur.fetchone() or ()) == (1,)
        async with db.reader.execute("PRAGMA synchronous") as cur:
            assert tuple(await cur.fetchone() or ()) == (2,)  # FULL


async def test_page_cache_size_reaches_both_connections(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite3", cache_mb=16) as db:
        async with db.reader.execute("PRAGMA cache_size") as cur:
            assert tuple(await cur.fetchone() or ()) == (-16 * 1024,)  # KiB
        async with db.write() as conn, conn.execute("PRAGMA cache_size") as cur:
            assert tuple(await cur.fetchone() or ()) == (-16 * 1024,)


async def test_failed_write_is_rolled_back_whole(store: Database | PgDatabase) -> None:
    with pytest.raises(integrity_error(store)):
        async with store.write() as conn:
            await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 's')")
            await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 's')")
    assert await count_of(store, "SELECT COUNT(*) FROM spaces") == 0


def test_no_sql_is_built_from_data() -> None:
    """Every SQL string the bot runs is provably made of literals, constants and
    placeholder lists; values always go through ``?`` parameters."""
    root = Path(__file__).parents[1] / "bot"
    assert scan_tree(root) == []
    calls = sum(
        source.count(f".{method}(")
        for source in (path.read_text("utf-8") for path in root.rglob("*.py"))
        for method in ("execute", "executemany", "execute_fetchall", "executescript")
    )
    assert calls > 50  # the scan really had queries to look at


@pytest.mark.parametrize(
    "code",
    [
        'async def f(conn, name):\n    await conn.execute(f"SELECT * FROM t WHERE a = {name}")',
        'async def f(conn, name):\n    await conn.execute("SELECT * FROM t WHERE a = " + name)',
        'async def f(conn, name):\n    sql = "SELECT " + name\n    await conn.execute(sql)',
        "async def f(conn, names):\n    for n in names:\n        await conn.execute(n)",
        'async def f(conn, a):\n    sql = "SELECT 1"\n    sql = a\n    await conn.executemany(sql, [])',
        "async def f(conn, a):\n    q, _ = (a, 1)\n    await conn.execute_fetchall(q)",
        'async def f(conn, t):\n    await conn.execute("SELECT %s" % t)',
        'async def f(conn, t):\n    await conn.execute("SELECT {}".format(t))',
        'async def f(conn, t):\n    await insert_returning_id(conn, "INSERT " + t, ())',
        "async def f(conn, t):\n    await conn.execute(numbered(t))",
        "def run(conn, sql):\n    return conn.execute(sql)",
    ],
)
def test_the_sql_scan_catches_data_in_sql(code: str) -> None:
    assert len(unsafe_sql(code)) == 1


@pytest.mark.parametrize(
    "code",
    [
        'async def f(conn, x):\n    await conn.execute("SELECT * FROM t WHERE a = ?", (x,))',
        'Q = "SELECT 1 "\nasync def f(conn):\n    await conn.execute(Q + "FROM t")',
        'async def f(conn, xs):\n    await conn.execute(f"SELECT * FROM t WHERE a IN '
        '({placeholders(len(xs))})", xs)',
        'J = "JOIN g "\nasync def f(conn, g):\n    join, extra = (J, (g,)) if g else ("", ())\n'
        '    await conn.execute(f"SELECT * FROM t {join}WHERE 1", extra)',
        'async def f(conn, ms):\n    await conn.execute(f"PRAGMA busy_timeout = {int(ms)}")',
    ],
)
def test_the_sql_scan_accepts_parameterised_sql(code: str) -> None:
    assert unsafe_sql(code) == []


async def prepare_deferred_orphan(db: Database | PgDatabase) -> None:
    """What :func:`insert_deferred_orphan` needs before its transaction: on
    PostgreSQL a table whose foreign key is checked only at COMMIT (none of
    the bot's are); SQLite defers its keys per transaction, by pragma."""
    if isinstance(db, PgDatabase):
        async with db.write() as conn:
            await conn.execute(
                "CREATE TABLE deferred_probe (space_id BIGINT REFERENCES spaces (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )


async def insert_deferred_orphan(db: Database | PgDatabase, conn: Connection) -> None:
    """A row whose missing parent is noticed only at COMMIT."""
    if isinstance(db, PgDatabase):
        await conn.execute("INSERT INTO deferred_probe (space_id) VALUES (999)")
    else:
        await conn.execute("PRAGMA defer_foreign_keys = ON")
        await conn.execute("INSERT INTO channels (space_id, external_id) VALUES (999, 'orphan')")


async def test_rollback_hooks_run_after_every_failed_write_and_never_after_a_commit(
    store: Database | PgDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("bug in a hook")

    db = store
    await prepare_deferred_orphan(db)
    db.on_rollback(broken)
    db.on_rollback(lambda: calls.append("forget"))
    async with db.write() as conn:
        await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 'ok')")
    assert calls == []
    # A failure inside the block: the error the caller sees is the original
    # one, even though a hook raised; every hook still ran.
    with pytest.raises(integrity_error(db)):
        async with db.write() as conn:
            await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 'ok')")
    assert calls == ["broken", "forget"]
    assert "rollback hook" in caplog.text
    # A failure at COMMIT (a deferred foreign key) rolls back too, the rows
    # written before it with it.
    calls.clear()
    with pytest.raises(integrity_error(db)):
        async with db.write() as conn:
            await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 'lost')")
            await insert_deferred_orphan(db, conn)
    assert calls == ["broken", "forget"]
    assert await count_of(db, "SELECT COUNT(*) FROM spaces WHERE external_id = 'lost'") == 0
    assert await count_of(db, "SELECT COUNT(*) FROM channels") == 0
    async with db.write() as conn:  # the writer is usable again
        await conn.execute("INSERT INTO spaces (platform, external_id) VALUES ('t', 'ok2')")
    assert calls == ["broken", "forget"]
    assert await count_of(db, "SELECT COUNT(*) FROM spaces") == 2


async def test_the_wal_is_checkpointed_in_the_background_not_inside_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer never checkpoints (that would hold the write lock while pages
    are copied); a third connection does, every CHECKPOINT_EVERY commits, and
    the WAL stops growing once it has."""
    from bot.storage import database
    from bot.storage.database import CHECKPOINT_EVERY

    limit = 1024 * 1024  # small, so a few thousand commits cross it often
    monkeypatch.setattr(database, "WAL_RESET_BYTES", limit)
    path = tmp_path / "db.sqlite3"
    async with Database(path) as db:
        async with db.write() as conn, conn.execute("PRAGMA wal_autocheckpoint") as cur:
            assert tuple(await cur.fetchone() or ()) == (0,)

        async def commits(count: int, start: int) -> None:
            for i in range(start, start + count):
                async with db.write() as conn:
                    await conn.execute(
                        "INSERT INTO spaces (platform, external_id) VALUES ('t', ?)", (str(i),)
                    )

        await commits(CHECKPOINT_EVERY * 3, 0)
        assert db._checkpoint is not None
        await db._checkpoint
        assert db.checkpoints >= 1
        settled = (tmp_path / "db.sqlite3-wal").stat().st_size
        await commits(CHECKPOINT_EVERY * 40, 10_000)
        await db._checkpoint
        # Past WAL_RESET_BYTES the next commit finishes the checkpoint and the
        # WAL starts over, cut back to the limit: however long the writes go
        # on, it stays within twice the limit (10 MB here without).
        assert (tmp_path / "db.sqlite3-wal").stat().st_size <= 2 * limit + 256 * 1024
        assert db.checkpoints >= 2
        del settled
