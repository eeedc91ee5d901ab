from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import time_machine

from tests.helpers import MONDAY_8AM, Harness
from tests.postgres import fresh_database, postgres_for_tests


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


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_8AM, tick=False) as coordinates:
        yield coordinates


@pytest.fixture
async def bot(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    await harness.start()
    yield harness
    await harness.stop()
