"""The PostgreSQL schema and its migrator, against a real server.

The PostgreSQL files translate the SQLite migrations one to one. The checks
here keep the two from drifting apart: the same tables, columns, keys, indexes
and triggers by name; the same statements accepted and refused by the
constraints; and triggers that keep ``score_levels`` and ``tie_blocks`` equal
to a count over ``scores``, as tests/test_rank.py checks on SQLite. The
migrator must be safe for several processes starting together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.storage.database import apply_migrations, migrations
from bot.storage.pg.migrate import (
    MIGRATION_LOCK,
    apply_pg_migrations,
    pg_migrations,
    pg_schema_version,
)

ALL = [m.name for m in pg_migrations()]


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def sqlite_schema(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A SQLite database built by the store's own migrations, with foreign keys
    enforced as the store enforces them."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA synchronous = OFF")  # speed only; never read back
        await apply_migrations(conn)
        await conn.execute("PRAGMA foreign_keys = ON")
        yield conn


def test_every_sqlite_migration_has_its_postgresql_twin() -> None:
    """A new SQLite migration without its PostgreSQL translation fails here."""
    assert [m.name for m in pg_migrations()] == [m.name for m in migrations()]


async def test_all_migrations_apply_on_an_empty_database(pg_database: str) -> None:
    async with connect(pg_database) as conn:
        assert await pg_schema_version(conn) == 0
        assert await apply_pg_migrations(conn) == ALL
        assert await pg_schema_version(conn) == len(ALL)
        rows = await conn.fetch("SELECT version, name FROM schema_version ORDER BY version")
    assert [(r["version"], r["name"]) for r in rows] == list(enumerate(ALL, start=1))


async def test_applying_twice_changes_nothing(pg_database: str) -> None:
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn)
        tables = await _pg_tables(conn)
        assert await apply_pg_migrations(conn) == []
        assert await _pg_tables(conn) == tables
        assert await conn.fetchval("SELECT COUNT(*) FROM schema_version") == len(ALL)


async def test_a_database_newer_than_the_code_is_refused(pg_database: str) -> None:
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn, target=2)
        await conn.execute("INSERT INTO schema_version (version, name) VALUES (99, 'future.sql')")
        with pytest.raises(RuntimeError, match="newer than this studybot knows"):
            await apply_pg_migrations(conn)
        # Refused before touching anything: migration 3's table never appeared.
        assert await conn.fetchval("SELECT to_regclass('score_levels')") is None


async def test_two_processes_starting_together_apply_each_file_once(pg_database: str) -> None:
    """Both migrators are made to queue on the advisory lock before either
    starts, then let go at once; each file is applied by exactly one of them."""
    async with (
        connect(pg_database) as holder,
        connect(pg_database) as first,
        connect(pg_database) as second,
    ):
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            runs = [asyncio.create_task(apply_pg_migrations(c)) for c in (first, second)]
            await _until_waiting_on_lock(holder, 2)
        done_first, done_second = await asyncio.gather(*runs)
        assert sorted(done_first + done_second) == ALL
        assert not set(done_first) & set(done_second)
        versions = await holder.fetch("SELECT version FROM schema_version ORDER BY version")
    assert [r["version"] for r in versions] == list(range(1, len(ALL) + 1))


async def _until_waiting_on_lock(conn: asyncpg.Connection, count: int) -> None:
    """Poll (bounded) until ``count`` sessions wait for an advisory lock here."""
    deadline = time.monotonic() + 10
    while True:
        waiting = await conn.fetchval(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if waiting == count:
            return
        assert time.monotonic() < deadline, f"{waiting} sessions wait for the lock, not {count}"
        await asyncio.sleep(0.005)


async def test_an_upgrade_fills_levels_and_blocks_from_existing_scores(pg_database: str) -> None:
    async with connect(pg_database) as conn:
        assert await apply_pg_migrations(conn, target=2) == ALL[:2]
        await conn.execute("INSERT INTO users (id, platform, external_id) VALUES (1, 't', 'a')")
        await conn.execute("INSERT INTO users (id, platform, external_id) VALUES (2, 't', 'b')")
        await conn.executemany(
            "INSERT INTO scores VALUES (1, 0, 'all', $1, $2, 1, 1, '2026-01-01')",
            [(1, 15), (2, 15)],
        )
        assert await apply_pg_migrations(conn) == ALL[2:]
        levels = await conn.fetch("SELECT points, users FROM score_levels")
        blocks = await conn.fetch("SELECT points, lo_reached, lo_user, users FROM tie_blocks")
    assert [tuple(r) for r in levels] == [(15, 2)]
    assert [tuple(r) for r in blocks] == [(15, "", 0, 2)]


# -- the triggers on scores ---------------------------------------------------

_UPSERT = (
    "INSERT INTO scores (space_id, channel_id, period, user_id, points, correct, answered, "
    "reached_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) "
    "ON CONFLICT (space_id, channel_id, period, user_id) DO UPDATE SET "
    "points = scores.points + excluded.points, correct = scores.correct + excluded.correct, "
    "answered = scores.answered + 1, reached_at = CASE WHEN excluded.points > 0 "
    "THEN excluded.reached_at ELSE scores.reached_at END"
)
"""The reveal's upsert (bot/storage/rounds.py) in PostgreSQL's spelling."""

_BLOCK_COUNTS = """
SELECT b.space_id, b.channel_id, b.period, b.points, b.lo_reached, b.lo_user, b.users,
       (SELECT COUNT(*) FROM scores s
        WHERE s.space_id = b.space_id AND s.channel_id = b.channel_id
          AND s.period = b.period AND s.points = b.points
          AND (s.reached_at, s.user_id) >= (b.lo_reached, b.lo_user)
          AND (b.next_reached IS NULL
               OR (s.reached_at, s.user_id) < (b.next_reached, b.next_user))) AS counted
FROM (SELECT t.*,
             LEAD(lo_reached) OVER level AS next_reached,
             LEAD(lo_user) OVER level AS next_user
      FROM tie_blocks t
      WINDOW level AS (PARTITION BY space_id, channel_id, period, points
                       ORDER BY lo_reached, lo_user)) b
"""
"""Every block beside the number of scores its key range really holds."""


async def _levels_match_scores(conn: asyncpg.Connection) -> None:
    levels = await conn.fetch(
        "SELECT space_id, channel_id, period, points, users FROM score_levels WHERE users <> 0"
    )
    grouped = await conn.fetch(
        "SELECT space_id, channel_id, period, points, COUNT(*) FROM scores "
        "GROUP BY space_id, channel_id, period, points"
    )
    assert sorted(map(tuple, levels)) == sorted(map(tuple, grouped))
    assert await conn.fetchval("SELECT COUNT(*) FROM score_levels WHERE users < 0") == 0


async def _blocks_match_scores(conn: asyncpg.Connection) -> int:
    """Each block counts exactly the scores in its range, and the blocks of a
    level add up to the level; returns how many blocks hold someone."""
    rows = await conn.fetch(_BLOCK_COUNTS)
    wrong = [tuple(r) for r in rows if r["users"] != r["counted"]]
    assert wrong == []
    per_level: dict[tuple[Any, ...], int] = {}
    for r in rows:
        level = (r["space_id"], r["channel_id"], r["period"], r["points"])
        per_level[level] = per_level.get(level, 0) + r["users"]
    grouped = await conn.fetch(
        "SELECT space_id, channel_id, period, points, COUNT(*) AS n FROM scores "
        "GROUP BY space_id, channel_id, period, points"
    )
    assert {tuple(r[:4]): r["n"] for r in grouped} == {k: v for k, v in per_level.items() if v}
    return sum(1 for r in rows if r["users"])


async def _split_blocks(conn: asyncpg.Connection, size: int) -> int:
    """Cut every block longer than ``size`` as bot/storage/ties.py does, so the
    triggers have several blocks per tie to choose between."""
    added = 0
    for block in await conn.fetch("SELECT * FROM tie_blocks WHERE users > $1", size):
        keys = await conn.fetch(
            "SELECT reached_at, user_id FROM scores WHERE space_id = $1 AND channel_id = $2 "
            "AND period = $3 AND points = $4 AND (reached_at, user_id) >= ($5, $6) "
            "ORDER BY reached_at, user_id LIMIT $7",
            *block[:6],
            block["users"],
        )
        await conn.execute(
            "UPDATE tie_blocks SET users = $7 WHERE space_id = $1 AND channel_id = $2 "
            "AND period = $3 AND points = $4 AND lo_reached = $5 AND lo_user = $6",
            *block[:6],
            size,
        )
        for start in range(size, len(keys), size):
            await conn.execute(
                "INSERT INTO tie_blocks VALUES ($1, $2, $3, $4, $5, $6, $7)",
                *block[:4],
                *keys[start],
                min(size, len(keys) - start),
            )
            added += 1
    return added


def _at(second: int) -> str:
    return f"2026-11-23T09:{second // 60:02d}:{second % 60:02d}.000000+00:00"


async def test_triggers_keep_levels_and_blocks_equal_to_the_scores(pg_database: str) -> None:
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn)
        await conn.executemany(
            "INSERT INTO users (id, platform, external_id) VALUES ($1, 't', $2)",
            [(i, f"u{i}") for i in range(1, 61)],
        )
        boards = [(1, 0, "all"), (1, 7, "w2026-W48")]
        # Round one: 60 people, most on 0 or 10 points, many sharing an instant.
        first = [
            (*board, user, (0, 10, 10, 15)[user % 4], int(user % 4 > 0), _at(user // 7))
            for board in boards
            for user in range(1, 61)
        ]
        await conn.executemany(_UPSERT, first)
        await _levels_match_scores(conn)
        assert await _split_blocks(conn, 4) > 6
        assert await _blocks_match_scores(conn) > 12

        # Round two through the same upsert: some move up (an UPDATE of points
        # and reached_at), wrong answers keep their total and time.
        second = [
            (*board, user, (0, 10)[user % 3 == 0], int(user % 3 == 0), _at(500 + user))
            for board in boards
            for user in range(1, 61, 2)
        ]
        await conn.executemany(_UPSERT, second)
        await _levels_match_scores(conn)
        await _blocks_match_scores(conn)

        # A time moved without the total changing crosses blocks within one tie.
        await conn.execute("UPDATE scores SET reached_at = $1 WHERE user_id IN (2, 4, 6)", _at(900))
        # Newcomers land in whichever block their key falls in.
        await conn.executemany(
            "INSERT INTO users (id, platform, external_id) VALUES ($1, 't', $2)",
            [(i, f"u{i}") for i in range(61, 71)],
        )
        await conn.executemany(
            _UPSERT, [(*boards[0], user, 10, 1, _at(user - 60)) for user in range(61, 71)]
        )
        await _levels_match_scores(conn)
        await _blocks_match_scores(conn)

        # A row whose key is exactly a block's lower bound belongs to that block,
        # not the one before: leave and come back by delete and insert, then by
        # moving the total away and back.
        bounds = await conn.fetch(
            "SELECT s.* FROM scores s JOIN tie_blocks b USING (space_id, channel_id, period, "
            "points) WHERE b.lo_user = s.user_id AND b.lo_reached = s.reached_at"
        )
        assert len(bounds) >= 4
        for row in bounds[:2]:
            key = (row["space_id"], row["channel_id"], row["period"], row["user_id"])
            await conn.execute(
                "DELETE FROM scores WHERE space_id = $1 AND channel_id = $2 AND period = $3 "
                "AND user_id = $4",
                *key,
            )
            await _blocks_match_scores(conn)
            await conn.execute("INSERT INTO scores VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", *row)
            await _blocks_match_scores(conn)
        for row in bounds[2:4]:
            key = (row["space_id"], row["channel_id"], row["period"], row["user_id"])
            for change in (5, -5):
                await conn.execute(
                    "UPDATE scores SET points = points + $5 WHERE space_id = $1 "
                    "AND channel_id = $2 AND period = $3 AND user_id = $4",
                    *key,
                    change,
                )
                await _levels_match_scores(conn)
                await _blocks_match_scores(conn)

        # Deletes: one board row, and a user whose rows cascade away.
        await conn.execute("DELETE FROM scores WHERE user_id = 9 AND channel_id = 7")
        await conn.execute("DELETE FROM users WHERE id IN (12, 13, 64)")
        await _levels_match_scores(conn)
        assert await _blocks_match_scores(conn) > 12
        assert await conn.fetchval("SELECT COUNT(*) FROM scores") == 2 * 60 + 10 - 1 - 2 * 2 - 1


# -- the schema against SQLite's ----------------------------------------------

Shape = dict[str, Any]


async def _pg_tables(conn: asyncpg.Connection) -> dict[str, list[tuple[str, bool]]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, is_nullable = 'NO' AS not_null "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, list[tuple[str, bool]]] = {}
    for r in rows:
        tables.setdefault(r["table_name"], []).append((r["column_name"], r["not_null"]))
    return tables


async def _pg_shape(conn: asyncpg.Connection) -> Shape:
    keys = await conn.fetch(
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name) "
        "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() "
        "AND c.table_name <> 'schema_version' ORDER BY k.table_name, k.ordinal_position"
    )
    primary: dict[str, list[str]] = {}
    for r in keys:
        primary.setdefault(r["table_name"], []).append(r["column_name"])
    indexes = await conn.fetch(
        "SELECT t.relname AS tbl, "
        "CASE WHEN EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "THEN NULL ELSE x.relname END AS name, "
        "ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS c(num, n) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = c.num "
        "ORDER BY c.n) AS cols, i.indisunique AS is_unique, i.indpred IS NOT NULL AS partial "
        "FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relnamespace = current_schema()::regnamespace AND NOT i.indisprimary"
    )
    triggers = await conn.fetch(
        "SELECT g.tgname, t.relname FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid "
        "WHERE NOT g.tgisinternal AND t.relnamespace = current_schema()::regnamespace"
    )
    return {
        "tables": await _pg_tables(conn),
        "primary keys": primary,
        "indexes": sorted(
            (r["tbl"], r["name"], tuple(r["cols"]), r["is_unique"], r["partial"]) for r in indexes
        ),
        "triggers": sorted((r["tgname"], r["relname"]) for r in triggers),
    }


async def _sqlite_shape(conn: aiosqlite.Connection) -> Shape:
    names = [
        r[0]
        for r in await conn.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables, primary, indexes = {}, {}, []
    for table in names:
        columns = list(await conn.execute_fetchall("SELECT * FROM pragma_table_info(?)", (table,)))
        # A primary-key column is never NULL in these tables (rowid aliases and
        # WITHOUT ROWID keys), whether or not it says NOT NULL.
        tables[table] = [(c[1], bool(c[3]) or c[5] > 0) for c in columns]
        primary[table] = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5] > 0]
        for _, index, unique, origin, partial in await conn.execute_fetchall(
            "SELECT * FROM pragma_index_list(?)", (table,)
        ):
            if origin == "pk":
                continue
            cols = await conn.execute_fetchall(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)
            )
            name = index if origin == "c" else None
            indexes.append((table, name, tuple(c[0] for c in cols), bool(unique), bool(partial)))
    triggers = await conn.execute_fetchall(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    )
    return {
        "tables": tables,
        "primary keys": primary,
        "indexes": sorted(indexes),
        "triggers": sorted(tuple(r) for r in triggers),
    }


async def test_the_schema_matches_sqlite(pg_database: str, tmp_path: Path) -> None:
    """Tables, columns in order and their NOT NULL, primary keys, indexes (by
    name where SQLite names them, by columns, uniqueness and partiality) and
    triggers: the same in both, so neither schema can change alone."""
    async with sqlite_schema(tmp_path / "lite.sqlite3") as lite:
        want = await _sqlite_shape(lite)
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn)
        got = await _pg_shape(conn)
    assert len(want["tables"]) >= 20 and len(want["triggers"]) == 6  # the scan found them
    for part in ("tables", "primary keys", "indexes", "triggers"):
        assert got[part] == want[part], part


async def test_every_text_column_compares_bytewise(pg_database: str) -> None:
    """SQLite orders text by bytes; times and tie-breaks rely on it."""
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn)
        other = await conn.fetch(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'text' "
            "AND table_name <> 'schema_version' AND collation_name IS DISTINCT FROM 'C'"
        )
        text_columns = await conn.fetchval(
            "SELECT COUNT(*) FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'text'"
        )
    assert [tuple(r) for r in other] == []
    assert text_columns > 60


_STATEMENTS = [
    "INSERT INTO spaces (id, platform, external_id) VALUES (1, 't', 's')",
    "INSERT INTO spaces (id, platform, external_id) VALUES (2, 't', 's')",
    "INSERT INTO channels (id, space_id, external_id) VALUES (1, 1, 'c')",
    "INSERT INTO channels (id, space_id, external_id) VALUES (2, 9, 'c')",
    "INSERT INTO users (id, platform, external_id) VALUES (1, 't', 'u')",
    "INSERT INTO users (id, platform, external_id) VALUES (2, 't', 'u')",
    "INSERT INTO users (id, platform, external_id) VALUES (2, 't', 'v')",
    "INSERT INTO schedules (id, channel_id, post_time, timezone, weekdays, reveal_after_s) "
    "VALUES (1, 1, '09:00', 'UTC', 0, 3600)",
    "INSERT INTO schedules (id, channel_id, post_time, timezone, weekdays, reveal_after_s) "
    "VALUES (1, 1, '09:00', 'UTC', 127, 59)",
    "INSERT INTO schedules (id, channel_id, post_time, timezone, weekdays, reveal_after_s, "
    "difficulty) VALUES (1, 1, '09:00', 'UTC', 127, 3600, 'insane')",
    "INSERT INTO schedules (id, channel_id, post_time, timezone, weekdays, reveal_after_s) "
    "VALUES (1, 1, '09:00', 'UTC', 127, 3600)",
    "INSERT INTO schedules (id, channel_id, post_time, timezone, weekdays, reveal_after_s) "
    "VALUES (2, 1, '10:00', 'UTC', 1, 60)",
    *(
        "INSERT INTO rounds (id, space_id, channel_id, schedule_id, kind, round_date, timezone, "
        f"question_id, question, status, posted_at, reveals_at) VALUES ({rid}, 1, 1, 1, "
        f"'{kind}', '2026-11-23', 'UTC', 'q', '{{}}', '{status}', 'p', 'r')"
        for rid, kind, status in [
            (1, "scheduled", "open"),
            (2, "scheduled", "open"),  # a second scheduled round that day
            (3, "extra", "open"),
            (4, "extra", "posting"),
            (5, "bonus", "open"),
            (6, "extra", "lost"),
        ]
    ),
    "INSERT INTO answers (round_id, user_id, choice, answered_at) VALUES (1, 1, 'a', 't')",
    "INSERT INTO answers (round_id, user_id, choice, answered_at) VALUES (1, 1, 'b', 't')",
    "INSERT INTO answers (round_id, user_id, choice, answered_at) VALUES (3, 5, 'b', 't')",
    "INSERT INTO study_groups (id, space_id, name, name_key, created_by, created_at) "
    "VALUES (1, 1, 'Tigers', 'tigers', 1, 't')",
    "INSERT INTO study_groups (id, space_id, name, name_key, created_at) "
    "VALUES (2, 1, 'TIGERS', 'tigers', 't')",
    "INSERT INTO reports (id, question_id, space_id, user_id, reason, created_at, status) "
    "VALUES (1, 'q', 1, 1, 'why', 't', 'pending')",
    "INSERT INTO reports (id, question_id, space_id, user_id, reason, created_at) "
    "VALUES (1, 'q', 1, 1, 'why', 't')",
    "INSERT INTO cards (user_id, question_id, topic, state, due) VALUES (1, 'q', 't', 4, 'd')",
    "INSERT INTO cards (user_id, question_id, topic, state, due) VALUES (1, 'q', 't', 2, 'd')",
    "INSERT INTO review_log (user_id, question_id, topic, grade, source, reviewed_at) "
    "VALUES (1, 'q', 't', 5, 'drill', 'r')",
    "INSERT INTO review_log (user_id, question_id, topic, grade, source, reviewed_at) "
    "VALUES (1, 'q', 't', 3, 'exam', 'r')",
    "INSERT INTO reminders (user_id, remind_at, timezone, updated_at) VALUES (1, '09:00', 'UTC', 'u')",
    "INSERT INTO reminders (user_id, remind_at, timezone, updated_at) VALUES (1, '10:00', 'UTC', 'u')",
    "INSERT INTO reminders (user_id, remind_at, timezone, updated_at) VALUES (7, '10:00', 'UTC', 'u')",
    "DELETE FROM users WHERE id = 1",  # cascades; the group keeps its row, creator unset
    "DELETE FROM schedules WHERE id = 1",  # the rounds stay, schedule unset
]


async def test_constraints_accept_and_refuse_the_same_statements(
    pg_database: str, tmp_path: Path
) -> None:
    """Each statement runs on both databases; the two must agree on every one,
    and leave the same rows behind after the cascades."""
    lite_outcomes, pg_outcomes = [], []
    async with sqlite_schema(tmp_path / "lite.sqlite3") as lite:
        for statement in _STATEMENTS:
            try:
                await lite.execute(statement)
                lite_outcomes.append("ok")
            except aiosqlite.IntegrityError:
                lite_outcomes.append("refused")
        lite_rows = {
            table: sorted(map(tuple, await lite.execute_fetchall(f"SELECT * FROM {table}")))
            for table in _TABLES_TO_COMPARE
        }
    async with connect(pg_database) as conn:
        await apply_pg_migrations(conn)
        for statement in _STATEMENTS:
            try:
                await conn.execute(statement)
                pg_outcomes.append("ok")
            except asyncpg.IntegrityConstraintViolationError:
                pg_outcomes.append("refused")
        pg_rows = {
            table: sorted(map(tuple, await conn.fetch(f"SELECT * FROM {table}")))
            for table in _TABLES_TO_COMPARE
        }
    assert list(zip(_STATEMENTS, pg_outcomes, strict=True)) == list(
        zip(_STATEMENTS, lite_outcomes, strict=True)
    )
    assert lite_outcomes.count("refused") >= 15 and lite_outcomes.count("ok") >= 12
    assert pg_rows == lite_rows


_TABLES_TO_COMPARE = (
    "spaces",
    "channels",
    "users",
    "schedules",
    "rounds",
    "answers",
    "study_groups",
    "reports",
    "cards",
    "review_log",
    "reminders",
)
