from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import time_machine

from tests.helpers import MONDAY_8AM, Harness
from tests.postgres import create_copy, drop, fresh_database, make_template, postgres_for_tests


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database on 127.0.0.1 for the whole run: a throwaway cluster,
    or STUDYBOT_TEST_POSTGRES_URL. Skips without a server, fails in CI."""
    with postgres_for_tests() as url:
        yield url


@pytest.fixture
async def pg_database(postgres_url: str) -> AsyncIterator[str]:
    """The URL of an empty database of this test's own, dropped afterwards."""
    async with fresh_database(postgres_url) as url:
        yield url


T = TypeVar("T")


def run_aside(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on an event loop of its own, for a synchronous fixture
    (the test's loop may already be running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def pg_template(postgres_url: str) -> str:
    """The server URL, once a migrated template database exists on it."""
    run_aside(make_template(postgres_url))
    return postgres_url


@pytest.fixture
def pg_store_url(pg_template: str) -> Iterator[str]:
    """The URL of a migrated database of this test's own, dropped afterwards."""
    url = run_aside(create_copy(pg_template))
    yield url
    run_aside(drop(pg_template, url))


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's store lives: a SQLite file, then a PostgreSQL database.

    Every test that takes this (through ``bot``) runs once on each store, so a
    storage method one store lacks, or gets wrong, fails the suite.
    """
    if request.param == "sqlite":
        return tmp_path / "bot.sqlite3"
    url: str = request.getfixturevalue("pg_store_url")
    return url


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_8AM, tick=False) as coordinates:
        yield coordinates


@pytest.fixture
async def bot(
    store_target: Path | str, traveller: time_machine.Traveller
) -> AsyncIterator[Harness]:
    harness = Harness(store_target, traveller)
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture
async def sqlite_bot(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[Harness]:
    """A bot on a SQLite file, for tests of what only SQLite has (its file, backups)."""
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    await harness.start()
    yield harness
    await harness.stop()
