from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import time_machine

from tests.helpers import MONDAY_8AM, Harness


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
