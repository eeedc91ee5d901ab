from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from tests.helpers import Harness
from tests.slack_adapter.fake_api import FakeSlack
from tests.slack_adapter.test_manifest import SCOPES_FOR
from tests.slack_adapter.world import SlackWorld


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()
    # Every Web API method the adapter called is covered by the manifest's scopes.
    called = {call.method for call in fake.calls}
    assert called <= {*SCOPES_FOR, "auth.test", "views.publish"}, called


@pytest.fixture
async def world(
    tmp_path: Path, traveller: time_machine.Traveller, fake_slack: FakeSlack
) -> AsyncIterator[SlackWorld]:
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    made = SlackWorld(harness, fake_slack)
    await harness.start()
    yield made
    await made.close()
    await harness.stop()
