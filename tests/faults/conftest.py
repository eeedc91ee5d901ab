from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from tests.faults.support import FaultHarness


@pytest.fixture
async def bot(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[FaultHarness]:
    """The fault tests' bot: the shared harness with default settings."""
    harness = FaultHarness(tmp_path / "bot.sqlite3", traveller)
    await harness.start()
    yield harness
    await harness.stop()
