"""/healthz says what is wrong; /metrics counts what the bot did."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import time_machine

from bot.adapters.launch import run_launchers
from bot.app import Runtime
from bot.config import DatabaseSettings, HealthSettings, Settings
from bot.core.errors import UserError
from bot.core.ports import PostFailed
from bot.health import HealthServer
from tests.helpers import CHANNEL, Harness, free_port, user


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    assert match is not None, f"no sample {name} {labels}"
    return float(match[1])


@pytest.fixture
async def server(bot: Harness) -> Any:
    assert bot.runtime is not None
    made = await HealthServer(bot.runtime, host="127.0.0.1", port=0).start()
    yield made
    await made.close()


async def test_healthy_and_then_not(bot: Harness, server: HealthServer) -> None:
    status, body = await get(server.port, "/healthz")
    assert status == 200 and '"status": "ok"' in body and '"database": "ok"' in body
    assert bot.runtime is not None
    up = [True]
    bot.runtime.connections["test"] = lambda: up[0]
    assert (await get(server.port, "/healthz"))[0] == 200
    up[0] = False
    status, body = await get(server.port, "/healthz")
    assert status == 503 and '"test": "disconnected"' in body


async def test_a_shared_store_reports_the_lease(bot: Harness, server: HealthServer) -> None:
    assert bot.runtime is not None
    coordinator = bot.runtime.coordinator
    status, body = await get(server.port, "/healthz")
    if coordinator is None:  # SQLite: one process, no leases
        assert status == 200 and "lease" not in body
        return
    assert status == 200 and '"state": "held"' in body and '"live_processes": 1' in body
    await bot.advance(coordinator.lease + timedelta(seconds=1))  # no renewal meanwhile
    status, body = await get(server.port, "/healthz")
    assert status == 503 and '"state": "lost"' in body


async def test_a_database_that_stopped_answering_fails_the_check(
    bot: Harness, server: HealthServer
) -> None:
    assert bot.runtime is not None
    await bot.runtime.db.close()
    status, body = await get(server.port, "/healthz")
    assert status == 503 and '"database": "failing' in body


async def test_metrics_count_rounds_answers_and_failures(
    bot: Harness, server: HealthServer
) -> None:
    rounds = bot.services.rounds
    round_ = await rounds.post_now(CHANNEL)
    await asyncio.gather(*(rounds.answer(round_.id, user(n), "a") for n in ("ann", "bea", "cy")))
    await rounds.answer(round_.id, user("ann"), "b")
    _, open_text = await get(server.port, "/metrics")
    assert metric(open_text, "studybot_open_rounds") == 1
    await rounds.reveal_now(CHANNEL)
    bot.platform.fail_posts = PostFailed("no access", permanent=True, code="forbidden")
    with pytest.raises(UserError):
        await rounds.post_now(CHANNEL)
    status, text = await get(server.port, "/metrics")
    assert status == 200
    assert metric(text, "studybot_answers_total", outcome="accepted") == 3
    assert metric(text, "studybot_answers_total", outcome="already_answered") == 1
    assert metric(text, "studybot_answer_seconds_count") == 4
    assert metric(text, "studybot_answer_batch_size_sum") == 4  # every answer in some batch
    assert metric(text, "studybot_rounds_posted_total", platform="test") == 1
    assert metric(text, "studybot_rounds_revealed_total", platform="test") == 1
    assert metric(text, "studybot_post_failures_total", platform="test", reason="forbidden") == 1
    assert metric(text, "studybot_open_rounds") == 0


async def test_scheduler_lateness_is_measured(bot: Harness, server: HealthServer) -> None:
    await bot.services.schedules.setup(CHANNEL, at="08:30", timezone="UTC")
    await bot.advance(timedelta(hours=1))
    _, text = await get(server.port, "/metrics")
    assert metric(text, "studybot_scheduler_lateness_seconds_count") >= 1


class IdleLauncher:
    """A platform that connects at once and serves until closed."""

    name = "idle"

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.ready = asyncio.Event()

    def missing(self) -> str | None:
        return None

    async def prepare(self, runtime: Runtime) -> bool:
        runtime.connections[self.name] = lambda: True
        return True

    async def serve(self) -> None:
        self.ready.set()
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


async def test_the_long_running_commands_serve_health(
    tmp_path: Path, traveller: time_machine.Traveller
) -> None:
    port = free_port()
    settings = Settings(
        database=DatabaseSettings(path=tmp_path / "db.sqlite3"), health=HealthSettings(port=port)
    )
    launcher, stop = IdleLauncher(), asyncio.Event()
    task = asyncio.create_task(run_launchers(settings, [launcher], stop=stop))
    await asyncio.wait_for(launcher.ready.wait(), 10)
    status, body = await get(port, "/healthz")
    assert status == 200 and '"idle": "connected"' in body
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    with pytest.raises(aiohttp.ClientConnectorError):  # closed with the bot
        await get(port, "/healthz")
