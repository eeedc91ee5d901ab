"""Who may change a workspace's daily question: its admins and owners.

Slack says so in ``users.info`` (``is_admin``, ``is_owner``,
``is_primary_owner``). The answer is cached for a short while, so a burst of
admin commands costs one call, and a demoted admin loses the right within a
minute. User ids listed in config (``slack.admins``) are admins as well, for
workspaces where the people running the bot are not workspace admins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.platform import error_code
from bot.core.errors import Forbidden

log = logging.getLogger(__name__)

NOT_ADMIN = (
    "only workspace admins and owners (or the user ids in slack.admins) can change the "
    "daily question or read reports"
)


class AdminCheck:
    def __init__(
        self,
        client: AsyncWebClient,
        listed: Collection[str] = (),
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.listed = frozenset(listed)
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.listed:
            return True
        cached = self._cache.get(user_id)
        now = self.clock()
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            # Not cached: the next command asks again.
            log.warning("could not look up Slack user %s: %s", user_id, error_code(exc))
            return False
        user = response.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._cache[user_id] = (now, admin)
        return admin

    async def require(self, user_id: str) -> None:
        if not await self.is_admin(user_id):
            raise Forbidden(NOT_ADMIN)
