from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from tests.faults.support import FaultHarness


@pytest.fixture
async def bot(
    store_target: Path | str, traveller: time_machine.Traveller
) -> AsyncIterator[FaultHarness]:
    """The fault tests' bot: the shared harness with default settings, once on
    a SQLite file and once on a PostgreSQL database (``store_target``)."""
    harness = FaultHarness(store_target, traveller)
    await harness.start()
    yield harness
    await harness.stop()
