"""The domain's ``Platform`` port on Slack's Web API: post, close, reveal, recap, DM.

Slack's errors become :class:`PostFailed`. Errors that need a person (the bot
is not in the channel, the channel is archived or gone, the app lost a scope
or its token) are permanent, so the schedule is marked failing and ``daily
show`` says why; rate limits, server errors and timeouts are transient and the
domain retries. A 429 is first retried by slack_sdk's own retry handler,
which waits as long as Slack's Retry-After asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.text import MESSAGE_TEXT, clip, escape, slash
from bot.core.errors import UserError
from bot.core.models import ChannelRef, Recap, RevealSummary, Round, UserRef
from bot.core.ports import PostFailed

log = logging.getLogger(__name__)

PERMANENT = {
    "channel_not_found": "the channel is gone or private to the bot",
    "not_in_channel": "the bot is not in the channel; invite it with /invite @studybot",
    "is_archived": "the channel is archived",
    "account_inactive": "the app's bot user is deactivated",
    "token_revoked": "the app's token was revoked; reinstall the app",
    "invalid_auth": "the app's token is no longer valid; reinstall the app",
    "missing_scope": "the app lacks a permission it needs; reinstall it from the manifest",
    "restricted_action": "a workspace setting stops the bot from posting there",
    "team_access_not_granted": "the workspace has not granted the app access",
}


DM_REFUSED = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "restricted_action",
    }
)
"""Errors to a direct message that say this person cannot be reached."""


def error_code(error: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``), or the HTTP status when the
    answer was not Slack's JSON (a proxy's 502 page, say)."""
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {error.response.status_code}")


def classify(error: SlackApiError) -> PostFailed:
    code = error_code(error)
    if code in PERMANENT:
        return PostFailed(f"{PERMANENT[code]} ({code})", permanent=True, code=code)
    label = (
        code if code.replace("_", "").isalnum() and not code.startswith("HTTP") else "http_error"
    )
    return PostFailed(f"Slack error {code}", permanent=False, code=label)


@asynccontextmanager
async def delivering(what: str) -> AsyncIterator[None]:
    """Translate Slack's and the network's errors into the domain's PostFailed."""
    try:
        yield
    except SlackApiError as exc:
        failed = classify(exc)
        raise PostFailed(
            f"could not {what}: {failed.reason}", permanent=failed.permanent, code=failed.code
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise PostFailed(
            f"could not reach Slack to {what}", permanent=False, code="network"
        ) from exc


class ChannelPacer:
    """At most one message per ``interval`` in each channel, Slack's guidance for
    posting. Channels do not wait for each other, so many schedules firing
    together still go out at once, one per channel."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        if self.interval <= 0:
            yield
            return
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._next.get(channel, 0.0) - self._now()
            if wait > 0:
                await self._sleep(wait)
            try:
                yield
            finally:
                self._next[channel] = self._now() + self.interval


class SlackPlatform:
    def __init__(self, client: AsyncWebClient, *, min_post_interval: float = 1.0) -> None:
        self.client = client
        self.pacer = ChannelPacer(min_post_interval)

    async def _post(self, channel: str, what: str, **kwargs: Any) -> str | None:
        async with self.pacer.turn(channel), delivering(what):
            response = await self.client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **kwargs
            )
        ts = response.get("ts")
        return str(ts) if ts else None

    async def post_question(self, round_: Round) -> str | None:
        return await self._post(
            round_.channel.channel, "post the daily question", **blocks.round_message(round_)
        )

    async def close_answering(self, round_: Round) -> None:
        if round_.message_id is None:
            return
        async with delivering("close the answer buttons"):
            await self.client.chat_update(
                channel=round_.channel.channel,
                ts=round_.message_id,
                **blocks.round_message(round_, closed=True),
            )

    async def post_reveal(self, summary: RevealSummary) -> None:
        round_ = summary.round
        thread: dict[str, Any] = {}
        if round_.message_id is not None:
            # In the question's thread, and also in the channel so nobody misses it.
            thread = {"thread_ts": round_.message_id, "reply_broadcast": True}
        await self._post(
            round_.channel.channel, "post the answer", **blocks.reveal_message(summary), **thread
        )

    async def post_recap(self, recap: Recap) -> None:
        await self._post(
            recap.channel.channel, "post the weekly recap", **blocks.recap_message(recap)
        )

    async def send_private(self, user: UserRef, text: str) -> None:
        """A message in the app's Messages tab with ``user`` (posting to a user
        id lands there). Refusals about that person (gone, deactivated, not
        reachable by the app) are permanent; the app's own problems (a revoked
        token, a missing scope) are not, since they are fixed for everyone at
        once and say nothing about whether this person wants messages."""
        try:
            await self.client.chat_postMessage(
                channel=user.external_id, text=clip(escape(slash(text)), MESSAGE_TEXT)
            )
        except SlackApiError as exc:
            code = error_code(exc)
            permanent = code in DM_REFUSED
            raise PostFailed(
                f"could not message Slack user {user.external_id} ({code})",
                permanent=permanent,
                code="dm_refused" if permanent else classify(exc).code,
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PostFailed(
                "could not reach Slack to send a direct message", permanent=False, code="network"
            ) from exc

    async def send_file(
        self, user_id: str, content: str | bytes, *, filename: str, comment: str
    ) -> None:
        """A file in the app's direct messages with ``user_id``: text (a JSON
        export) or bytes (a chart)."""
        body: dict[str, Any] = (
            {"file": content} if isinstance(content, bytes) else {"content": content}
        )
        try:
            opened = await self.client.conversations_open(users=user_id)
            dm = str((opened.get("channel") or {}).get("id") or "")
            await self.client.files_upload_v2(
                channel=dm,
                **body,
                filename=filename,
                title=filename,
                initial_comment=comment,
                request_file_info=False,
            )
        except SlackApiError as exc:
            raise UserError(
                f"Slack would not take the file ({error_code(exc)}); try again later"
            ) from exc

    async def channel_problem(self, channel: ChannelRef) -> str | None:
        """Why the bot cannot post in ``channel`` (for ``daily setup``), or None."""
        try:
            info = await self.client.conversations_info(channel=channel.channel)
        except SlackApiError as exc:
            if error_code(exc) == "channel_not_found":
                return "I cannot see that channel: invite me first with `/invite @studybot`"
            return classify(exc).reason
        data = info.get("channel") or {}
        if data.get("is_archived"):
            return "that channel is archived"
        if not data.get("is_member") and not data.get("is_im"):
            return "I am not a member of that channel: invite me with `/invite @studybot`, then run this again"
        return None
