"""A local stand-in for Slack's Web API and response URLs (aiohttp on 127.0.0.1).

It records every call with its arguments, answers the methods studybot uses
the way Slack documents them, and can be told to fail a method with one of
Slack's error shapes, a 429 with Retry-After, or a 5xx. Nothing leaves the
machine: the bot's ``AsyncWebClient`` is pointed here with ``base_url``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0STUDY01"
BOT_USER = "U0BOT0001"
CHANNEL = "C0DAILY01"
OTHER_CHANNEL = "C0OTHER01"
OUTSIDE_CHANNEL = "C0NOTIN01"
ARCHIVED_CHANNEL = "C0ARCHV01"
ADMIN = "U0ADMIN01"
MEMBER = "U0MEMBR01"
SECOND = "U0MEMBR02"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Failure:
    error: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        """What each response_url received, by its key."""
        self.failures: dict[str, list[Failure]] = {}
        self.admins = {ADMIN}
        self.members = {CHANNEL, OTHER_CHANNEL, ARCHIVED_CHANNEL}
        self.archived = {ARCHIVED_CHANNEL}
        self.valid_token = True
        self.uploads: dict[str, bytes] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- server ---------------------------------------------------------------
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # ---- what the bot sent ---------------------------------------------------
    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of ``method`` fail, one failure per call, in order."""
        self.failures.setdefault(method, []).extend(failures)

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(predicate)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ---- handlers ---------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        await self._record(Call(method, args))
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            body = {"ok": False, "error": failure.error or "internal_error"}
            return web.json_response(body, status=failure.status, headers=failure.headers)
        if not self.valid_token or request.headers.get("Authorization") in (None, "Bearer "):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler is not None else {"ok": True}
        return web.json_response(body)

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        payload = await request.json()
        async with self._changed:
            self.responses.setdefault(key, []).append(payload)
            self._changed.notify_all()
        return web.Response(text="ok")

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://ml-club.slack.com/",
            "team": "ML club",
            "user": "studybot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0BOT0001",
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        if channel.startswith("C") and channel not in self.members:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"1764000000.{next(self._ts):06d}"
        return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user"))
        admin = user in self.admins
        return {
            "ok": True,
            "user": {"id": user, "name": user.lower(), "is_admin": admin, "is_owner": False},
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        if channel not in self.members and channel != OUTSIDE_CHANNEL:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "is_member": channel in self.members,
                "is_archived": channel in self.archived,
            },
        }

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file"]] = await request.read()
        return web.Response(text="OK")

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(args.get("users", ""))[1:]}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F0FILE{len(self.uploads) + 1:03d}"
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "files": [{"id": "F0FILE001"}]}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V0HOME001"}}


async def _arguments(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends JSON for some methods and a form for others; JSON-valued
    form fields (blocks) are decoded so tests can read them."""
    args: dict[str, Any] = dict(request.query)  # some methods send their arguments here
    if request.method == "GET":
        return args
    if request.content_type == "application/json":
        data = await request.json()
        return {**args, **data}
    form = await request.post()
    for key, value in form.items():
        text = str(value)
        if key in {"blocks", "view", "attachments"}:
            try:
                args[key] = json.loads(text)
                continue
            except ValueError:
                pass
        args[key] = text
    return args
