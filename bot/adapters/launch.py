"""Running one or several chat platforms in one process.

Each platform brings a :class:`Launcher`. All of them share one runtime (one
database, one scheduler, one set of services); each registers its Platform
before the runtime starts, because start-up recovery may post or reveal at
once, and rounds are routed to the platform named in their channel.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.health import start_health

log = logging.getLogger(__name__)


class Launcher(Protocol):
    name: str

    def missing(self) -> str | None:
        """A one-line reason this platform cannot start (a missing token), or None.
        Checked before anything is opened."""
        ...

    async def prepare(self, runtime: Runtime) -> bool:
        """Log in and register the Platform with ``runtime``; False (after printing
        one line that never shows a secret) when the platform refused us."""
        ...

    async def serve(self) -> None:
        """Receive events until :meth:`close` is called."""
        ...

    async def close(self) -> None: ...


class _Closing:
    """Something closed with the launchers (the health server)."""

    def __init__(self, name: str, close: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.close = close


def stop_on_signals(stop: asyncio.Event) -> None:
    """Stop cleanly on SIGTERM (docker stop) and SIGINT instead of dying mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on this platform
            return


async def run_launchers(
    settings: Settings, launchers: Sequence[Launcher], *, stop: asyncio.Event | None = None
) -> int:
    """Start every launcher on one runtime; return the process exit code.

    When one platform stops (its connection closed for good, or a signal), the
    others are closed too, so a half-running bot never hides a failure."""
    for launcher in launchers:
        reason = launcher.missing()
        if reason is not None:
            print(reason, file=sys.stderr)
            return 2
    stop = stop or asyncio.Event()
    runtime = await build_runtime(settings)
    tried: list[Launcher | _Closing] = []
    prepared: list[Launcher] = []
    serving: list[asyncio.Task[None]] = []
    async with runtime:
        try:
            for launcher in launchers:
                tried.append(launcher)
                if not await launcher.prepare(runtime):
                    return 2
                prepared.append(launcher)
            health = await start_health(runtime, settings.health.port, settings.health.host)
            if health is not None:
                tried.append(_Closing("health", health.close))
            await runtime.start()
            stop_on_signals(stop)
            log.info("running on %s", ", ".join(p.name for p in prepared))
            serving = [asyncio.create_task(p.serve(), name=f"serve-{p.name}") for p in prepared]
            stopper = asyncio.create_task(stop.wait(), name="stop")
            await asyncio.wait([*serving, stopper], return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
        finally:
            for closing in reversed(tried):
                try:
                    await closing.close()
                except Exception:
                    log.exception("closing %s failed", closing.name)
        results = await asyncio.gather(*serving, return_exceptions=True)
        for launcher, result in zip(prepared, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("%s stopped with an error", launcher.name, exc_info=result)
                return 1
    return 0
