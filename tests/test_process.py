"""The process set-up the long-running commands share (bot/process.py)."""

from __future__ import annotations

import asyncio
import gc
import importlib.util

import pytest

from bot import process

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


@pytest.mark.skipif(not HAS_UVLOOP, reason="uvloop is not installed here")
def test_uses_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STUDYBOT_EVENT_LOOP", raising=False)
    import uvloop

    assert process.loop_factory() is uvloop.new_event_loop

    async def loop_class() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert process.run(loop_class()).startswith("uvloop")


def test_the_standard_loop_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDYBOT_EVENT_LOOP", " AsyncIO ")
    assert process.loop_factory() is None

    async def loop_class() -> type:
        return type(asyncio.get_running_loop())

    assert process.run(loop_class()).__module__.startswith("asyncio")


def test_run_sets_the_collector_threshold_and_returns_the_result() -> None:
    before = gc.get_threshold()
    try:

        async def answer() -> int:
            return 42

        assert process.run(answer()) == 42
        assert gc.get_threshold() == process.GC_THRESHOLD
    finally:
        gc.set_threshold(*before)
