from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from tests.discord_adapter.world import DiscordWorld
from tests.helpers import Harness


@pytest.fixture
async def world(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[DiscordWorld]:
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    made = DiscordWorld(harness)
    await harness.start()
    yield made
    if made.client is not None:
        await made.client.close()
    await harness.stop()
