"""The Bolt app: ``/studybot``, the buttons, App Home and workspace events.

Every listener acknowledges first (Slack allows 3 seconds) and then does its
work, answering through the interaction's ``response_url``. Button state lives
in the ``action_id`` (``studybot:answer:<round>:<letter>``), matched by a
pattern registered at start-up, so a click on a message posted before a
restart still counts. Any exception becomes a short private message and a
log line with the traceback; the app keeps running.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack import blocks
from bot.adapters.slack.admin import AdminCheck
from bot.adapters.slack.commands import CommandRouter, Invocation, SlackMarkup
from bot.adapters.slack.ids import channel_ref, space_key, user_ref
from bot.adapters.slack.platform import SlackPlatform
from bot.adapters.slack.text import escape, slash
from bot.core.errors import UserError
from bot.core.models import Period, Scope
from bot.core.reviews import Grade, ReviewExpired

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

COMMAND = "/studybot"
ANSWER = re.compile(r"^studybot:answer:(?P<round>[0-9]{1,18}):(?P<letter>[a-e])$")
DRILL = re.compile(
    r"^studybot:drill:(?P<session>[0-9]{1,18}):(?P<position>[0-9]{1,3}):(?P<letter>[a-e])$"
)
REVIEW = re.compile(
    r"^studybot:review:(?P<session>[0-9]{1,18}):(?P<position>[0-9]{1,3}):"
    r"(?P<action>[a-e]|show|grade:[1-4])$"
)
HOME_DRILL = re.compile(r"^studybot:home-drill:(?P<difficulty>any|easy|medium|hard)$")
PRIVACY_DELETE = re.compile(r"^studybot:privacy-delete:(?P<user>[UW][A-Z0-9]{2,20})$")
FAILED = "Something went wrong on our side; it is logged. Please try again in a moment."
EVENTS = (
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "channel_archive",
    "group_archive",
    "channel_deleted",
    "group_deleted",
    "channel_left",
    "group_left",
    "member_left_channel",
)
Respond = Callable[..., Awaitable[Any]]


def user_text(error: UserError) -> str:
    """A domain error as mrkdwn: commands named the Slack way, user text inert."""
    message = str(error)
    if not isinstance(error, SlackMarkup):
        message = escape(slash(message))
    return message[:1].upper() + message[1:]


async def reply_with(respond: Respond, work: Awaitable[dict[str, Any]], **extra: Any) -> None:
    """Run ``work`` and send what it returns privately; turn any failure into
    a short private message (with the traceback in the log for bugs)."""
    try:
        reply = await work
    except UserError as exc:
        reply = blocks.text_message(user_text(exc))
        extra = {**extra, "replace_original": False}
    except Exception:
        log.exception("a Slack request failed")
        reply = blocks.text_message(FAILED)
        extra = {**extra, "replace_original": False}
    try:
        await respond(response_type="ephemeral", **extra, **reply)
    except Exception:
        log.exception("could not answer a Slack request through its response_url")


@dataclass
class Replies:
    """Private replies through each request's ``response_url``, over one shared
    HTTP session. Bolt's own ``respond`` opens a new session, and so a new
    connection, for every reply, which capped a burst of clicks at a few
    hundred answers a second (bench/slack_clicks.py)."""

    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    def to(self, body: dict[str, Any]) -> Respond:
        url = str(body.get("response_url") or "")

        async def send(**payload: Any) -> None:
            if not url:
                log.warning("a Slack request without a response_url could not be answered")
                return
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession()
            response = await AsyncWebhookClient(url, session=self._session).send_dict(payload)
            if response.status_code != 200:
                log.warning(
                    "Slack refused a reply (HTTP %s): %s", response.status_code, response.body
                )

        return send

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass
class SlackApp:
    """The Bolt app and what it holds open."""

    bolt: AsyncApp
    replies: Replies

    async def close(self) -> None:
        await self.replies.close()


def _name(user: dict[str, Any]) -> str:
    return str(user.get("username") or user.get("name") or user.get("id") or "")


def build_app(
    services: Services,
    client: AsyncWebClient,
    platform: SlackPlatform,
    *,
    admins: Collection[str] = (),
    signing_secret: str = "",
    verify_requests: bool = True,
) -> SlackApp:
    """The Bolt app over ``services``; ``verify_requests`` checks Slack's request
    signature (HTTP mode; Socket Mode requests come over the app's own socket)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=verify_requests,
        logger=logging.getLogger("studybot.slack.bolt"),
        name="studybot",
    )
    router = CommandRouter(services, platform, AdminCheck(client, admins))
    replies = Replies()

    @app.command(COMMAND)
    async def on_command(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        call = Invocation(
            team_id=str(body.get("team_id", "")),
            channel_id=str(body.get("channel_id", "")),
            user_id=str(body.get("user_id", "")),
            user_name=str(body.get("user_name", "")),
            text=str(body.get("text", "")),
        )
        await reply_with(replies.to(body), router.run(call))

    @app.action(ANSWER)
    async def on_answer(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        match = ANSWER.match(str(action.get("action_id", "")))
        assert match is not None  # the listener only matches this pattern

        async def answer() -> dict[str, Any]:
            user = body.get("user") or {}
            result = await services.rounds.answer(
                int(match["round"]), user_ref(str(user.get("id", "")), _name(user)), match["letter"]
            )
            return blocks.text_message(blocks.answer_text(result))

        await reply_with(replies.to(body), answer(), replace_original=False)

    @app.action(DRILL)
    async def on_drill(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        match = DRILL.match(str(action.get("action_id", "")))
        assert match is not None

        async def step() -> dict[str, Any]:
            user = body.get("user") or {}
            feedback = await services.drills.answer(
                int(match["session"]),
                user_ref(str(user.get("id", "")), _name(user)),
                int(match["position"]),
                match["letter"],
            )
            return blocks.drill_step_message(feedback)

        await reply_with(replies.to(body), step(), replace_original=True)

    @app.action(REVIEW)
    async def on_review(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        match = REVIEW.match(str(action.get("action_id", "")))
        assert match is not None
        user = body.get("user") or {}
        who = user_ref(str(user.get("id", "")), _name(user))
        session_id, position, what = int(match["session"]), int(match["position"]), match["action"]
        reviews = services.reviews

        async def step() -> dict[str, Any]:
            try:
                if what == "show":
                    shown = await reviews.show_answer(session_id, who, position)
                    return blocks.review_shown_message(shown)
                if what.startswith("grade:"):
                    grade = Grade(int(what.removeprefix("grade:")))
                    done = await reviews.grade(session_id, who, position, grade)
                else:
                    done = await reviews.answer(session_id, who, position, what)
            except ReviewExpired as expired:
                # Its buttons can do nothing more: the notice replaces them.
                return blocks.text_message("⌛ " + user_text(expired))
            return blocks.review_step_message(done)

        await reply_with(replies.to(body), step(), replace_original=True)

    @app.action(PRIVACY_DELETE)
    async def on_privacy_delete(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        match = PRIVACY_DELETE.match(str(action.get("action_id", "")))
        assert match is not None
        clicker = body.get("user") or {}

        async def erase() -> dict[str, Any]:
            if clicker.get("id") != match["user"]:
                raise UserError(
                    "this button erases someone else's data; use /privacy delete for your own"
                )
            erased = await services.privacy.delete(user_ref(match["user"]))
            return blocks.text_message(f"Done. Erased {erased.summary()}.")

        await reply_with(replies.to(body), erase(), replace_original=True)

    @app.action(HOME_DRILL)
    async def on_home_drill(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        match = HOME_DRILL.match(str(action.get("action_id", "")))
        assert match is not None
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        try:
            session = await services.drills.start(
                user_ref(user_id, _name(user)), space_key(team), difficulty=match["difficulty"]
            )
            reply = blocks.drill_start_message(session)
        except UserError as exc:
            reply = blocks.text_message(user_text(exc))
        # The Home tab has no response_url: the drill goes to the app's messages.
        try:
            await client.chat_postMessage(channel=user_id, **reply)
        except Exception:
            log.exception("could not start a drill from App Home for %s", user_id)

    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user_id = str(event.get("user", ""))
        team = str(body.get("team_id", ""))
        here = channel_ref(team, "")
        me = user_ref(user_id)
        boards = services.boards
        view = await boards.streak(here, me)
        week = await boards.leaderboard(here, me, Period.WEEK, Scope.SPACE)
        drills = await services.drills.totals(me)
        has_rounds = bool(await services.schedules.in_space(space_key(team)))
        await client.views_publish(
            user_id=user_id,
            view=blocks.home_view(view, week, drills, workspace_has_rounds=has_rounds),
        )

    async def pause_space(body: dict[str, Any], reason: str) -> None:
        team = str(body.get("team_id", ""))
        disabled = await services.schedules.disable_space(space_key(team), reason)
        log.info("Slack workspace %s: %s; paused %d schedule(s)", team, reason, len(disabled))

    async def pause_channel(body: dict[str, Any], channel: str, reason: str) -> None:
        team = str(body.get("team_id", ""))
        if await services.schedules.disable(channel_ref(team, channel), reason) is not None:
            log.info(
                "Slack channel %s in %s: %s; its daily question is paused", channel, team, reason
            )

    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any]) -> None:
        await pause_space(body, "the app was uninstalled from this workspace")

    @app.event("tokens_revoked")
    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await pause_space(body, "the app's bot token was revoked")

    @app.event("channel_archive")
    @app.event("group_archive")
    async def on_archive(body: dict[str, Any], event: dict[str, Any]) -> None:
        await pause_channel(body, str(event.get("channel", "")), "the channel was archived")

    @app.event("channel_deleted")
    @app.event("group_deleted")
    async def on_deleted(body: dict[str, Any], event: dict[str, Any]) -> None:
        await pause_channel(body, str(event.get("channel", "")), "the channel was deleted")

    @app.event("channel_left")
    @app.event("group_left")
    async def on_left(body: dict[str, Any], event: dict[str, Any]) -> None:
        await pause_channel(
            body, str(event.get("channel", "")), "the bot was removed from the channel"
        )

    @app.event("member_left_channel")
    async def on_member_left(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("user") and event.get("user") == context.get("bot_user_id"):
            await pause_channel(
                body, str(event.get("channel", "")), "the bot was removed from the channel"
            )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners catch their own errors; this is for what happens around them.
        log.error("Slack request failed: %s", type(error).__name__, exc_info=error)

    return SlackApp(app, replies)
