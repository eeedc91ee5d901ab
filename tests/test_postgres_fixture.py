"""The throwaway PostgreSQL the storage tests run against (tests/postgres.py)."""

from __future__ import annotations

import os

import asyncpg
import pytest

import tests.postgres as pg


def test_a_missing_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI: no binaries"):
        pg.unavailable("no binaries")


def test_a_missing_server_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL for the tests: no binaries"):
        pg.unavailable("no binaries")


def test_without_binaries_or_a_url_the_fixture_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(pg.URL_VARIABLE, raising=False)
    monkeypatch.setattr(pg, "find_server", lambda: None)
    with (
        pytest.raises(pytest.skip.Exception, match=r"/usr/lib/postgresql/\*/bin"),
        pg.postgres_for_tests(),
    ):
        pass


def test_a_configured_url_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pg.URL_VARIABLE, "postgresql://someone@127.0.0.1:5999/theirs")
    monkeypatch.setattr(pg, "find_server", lambda: pytest.fail("looked for binaries"))
    with pg.postgres_for_tests() as url:
        assert url == "postgresql://someone@127.0.0.1:5999/theirs"


def test_with_database_keeps_everything_but_the_name() -> None:
    url = "postgresql://u:secret@127.0.0.1:5432/first?sslmode=disable"
    assert pg.with_database(url, "second") == (
        "postgresql://u:secret@127.0.0.1:5432/second?sslmode=disable"
    )


async def test_the_throwaway_server_is_local_and_not_durable(postgres_url: str) -> None:
    if os.environ.get(pg.URL_VARIABLE):
        pytest.skip("the tests use the configured server, not a throwaway one")
    conn = await asyncpg.connect(postgres_url)
    try:
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("listen_addresses", "fsync", "synchronous_commit", "full_page_writes")
        }
        encoding = await conn.fetchval("SHOW server_encoding")
    finally:
        await conn.close()
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    assert encoding == "UTF8"


async def test_every_test_gets_an_empty_database_of_its_own(pg_database: str) -> None:
    conn = await asyncpg.connect(pg_database)
    try:
        name = await conn.fetchval("SELECT current_database()")
        tables = await conn.fetchval(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    assert name.startswith("studybot_t_") and name != pg.DATABASE
    assert tables == 0
