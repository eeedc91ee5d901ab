"""``studybot slack``: the Bolt app in Socket Mode, or over HTTP with ``--http PORT``.

Tokens come from the environment only: ``SLACK_BOT_TOKEN`` (xoxb-) for the
Web API, ``SLACK_APP_TOKEN`` (xapp-) for Socket Mode, ``SLACK_SIGNING_SECRET``
to verify HTTP requests. A missing one stops start-up with one line saying
where to get it; a token Slack refuses (``auth.test``) stops it with one line
that never shows the token.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.launch import Launcher, run_launchers
from bot.adapters.slack.app import SlackApp, build_app
from bot.adapters.slack.ids import PLATFORM
from bot.adapters.slack.inflight import bolt_settled
from bot.adapters.slack.platform import SlackPlatform, error_code
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)

HOW_TO = "(README: 'Running on Slack')"
NO_BOT_TOKEN = (
    "SLACK_BOT_TOKEN is not set. Create the app from config/slack-manifest.yaml at "
    "https://api.slack.com/apps, install it to your workspace, and copy the Bot User OAuth "
    f"Token (xoxb-...) from 'OAuth & Permissions' {HOW_TO}"
)
NO_APP_TOKEN = (
    "SLACK_APP_TOKEN is not set. Socket Mode needs an app-level token (xapp-...): in the "
    "app's 'Basic Information' > 'App-Level Tokens', generate one with the "
    f"connections:write scope; or serve HTTP with --http PORT {HOW_TO}"
)
NO_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is not set. --http verifies every request with it: copy it from "
    f"the app's 'Basic Information' > 'App Credentials' {HOW_TO}"
)
RATE_LIMIT_RETRIES = 3
SETTLE_ON_CLOSE_S = 10
"""How long a stopping worker waits for clicks it already acknowledged."""


def web_client(settings: Settings, token: str) -> AsyncWebClient:
    """A Web API client that waits out 429s as Slack's Retry-After asks."""
    client = AsyncWebClient(token=token, base_url=settings.slack.api_url)
    client.retry_handlers.append(
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    )
    return client


class SlackLauncher:
    name = "slack"

    def __init__(self, settings: Settings, *, http_port: int | None = None) -> None:
        self.settings = settings
        self.http_port = http_port
        self.app: SlackApp | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._site: web.AppRunner | None = None
        self._closed = asyncio.Event()

    def missing(self) -> str | None:
        if self.settings.secret("slack_bot_token") is None:
            return NO_BOT_TOKEN
        if self.http_port is None and self.settings.secret("slack_app_token") is None:
            return NO_APP_TOKEN
        if self.http_port is not None and self.settings.secret("slack_signing_secret") is None:
            return NO_SIGNING_SECRET
        return None

    async def prepare(self, runtime: Runtime) -> bool:
        token = self.settings.secret("slack_bot_token")
        assert token is not None  # missing() said so
        client = web_client(self.settings, token)
        try:
            identity = await client.auth_test()
        except SlackApiError as exc:
            print(
                f"Slack rejected SLACK_BOT_TOKEN ({error_code(exc)}); reinstall the app "
                "and copy its Bot User OAuth Token again",
                file=sys.stderr,
            )
            return False
        except (aiohttp.ClientError, TimeoutError):
            print(
                "could not reach Slack to check SLACK_BOT_TOKEN; is the network up?",
                file=sys.stderr,
            )
            return False
        log.info(
            "Slack: connected as %s to workspace %s", identity.get("user"), identity.get("team")
        )
        platform = SlackPlatform(client, min_post_interval=self.settings.slack.min_post_interval)
        runtime.platforms[PLATFORM] = platform
        runtime.connections[PLATFORM] = self.connected
        self.app = build_app(
            runtime.services,
            client,
            platform,
            admins=self.settings.slack.admins,
            signing_secret=self.settings.secret("slack_signing_secret") or "",
            verify_requests=self.http_port is not None,
        )
        return True

    def connected(self) -> bool:
        """Socket Mode: the websocket is open; HTTP: the server is listening."""
        if self._site is not None:
            return True
        session = getattr(self._socket.client, "current_session", None) if self._socket else None
        return session is not None and not session.closed

    async def serve(self) -> None:
        assert self.app is not None
        if self.http_port is None:
            app_token = self.settings.secret("slack_app_token")
            self._socket = AsyncSocketModeHandler(self.app.bolt, app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: listening in Socket Mode")
        else:
            slack = self.settings.slack
            runner = web.AppRunner(self.app.bolt.web_app(path=slack.http_path, port=self.http_port))
            await runner.setup()
            await web.TCPSite(runner, slack.http_host, self.http_port).start()
            self._site = runner
            log.info(
                "Slack: serving HTTP on %s:%d%s", slack.http_host, self.http_port, slack.http_path
            )
        await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._site is not None:
            await self._site.cleanup()
            self._site = None
        # Clicks already acknowledged to Slack finish before the database closes.
        try:
            async with asyncio.timeout(SETTLE_ON_CLOSE_S):
                await bolt_settled()
        except TimeoutError:
            log.warning(
                "stopped with Slack listener work still running after %ss", SETTLE_ON_CLOSE_S
            )
        if self.app is not None:
            await self.app.close()


def launchers(settings: Settings, http_port: int | None = None) -> list[Launcher]:
    return [SlackLauncher(settings, http_port=http_port)]


async def run_slack(settings: Settings, *, http_port: int | None = None) -> int:
    return await run_launchers(settings, launchers(settings, http_port))
