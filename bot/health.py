"""``/healthz`` and ``/metrics`` over HTTP, for Docker, orchestrators and Prometheus.

Started by every long-running command when ``health.port`` (or
``--health-port``) is set. ``/healthz`` answers 200 when the process can do
its job: the database answers a query, the scheduler runs, and every platform
it serves is connected; otherwise 503, with what failed, as JSON.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 2.0


async def health(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with runtime.db.reader.execute("SELECT 1") as cursor:
                await cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure is the answer, not a crash
        checks["database"] = f"failing: {type(exc).__name__}"
    checks["scheduler"] = "running" if runtime.scheduler.running else "stopped"
    checks["platforms"] = {
        name: "connected" if check() else "disconnected"
        for name, check in runtime.connections.items()
    }
    lease_ok = True
    coordinator = runtime.coordinator
    if coordinator is not None:
        # With other processes on the store: is this one still counted live,
        # and what does it own? A lost lease means its work went elsewhere.
        expires = coordinator.expires_at
        lease_ok = expires is not None and expires > runtime.services.clock.now()
        owned = coordinator.jobs.owned()
        checks["lease"] = {
            "name": coordinator.name,
            "state": "held" if lease_ok else "lost",
            "live_processes": len(coordinator.live),
            "schedules": owned.schedules,
            "pending_reveals": owned.rounds,
            "reminders": owned.reminders,
        }
    healthy = (
        checks["database"] == "ok"
        and checks["scheduler"] == "running"
        and lease_ok
        and all(v == "connected" for v in checks["platforms"].values())
    )
    return healthy, checks


class HealthServer:
    def __init__(self, runtime: Runtime, *, host: str, port: int) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> HealthServer:
        self.runtime.telemetry.watch(
            self.runtime.services.rounds.open_count, self.runtime.connections
        )
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        healthy, checks = await health(self.runtime)
        body = {"status": "ok" if healthy else "failing", **checks}
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        payload = generate_latest(self.runtime.telemetry.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def start_health(runtime: Runtime, port: int | None, host: str) -> HealthServer | None:
    """The health server when a port is configured (0 picks a free one), else None."""
    if port is None:
        return None
    return await HealthServer(runtime, host=host, port=port).start()
