"""The terminal as a chat platform: every message is a block of printed text."""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters.terminal import render
from bot.core.models import Recap, RevealSummary, Round, UserRef

PLATFORM = "terminal"


class TerminalPlatform:
    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.posted: list[int] = []

    async def post_question(self, round_: Round) -> str | None:
        self.write(render.question(round_))
        self.posted.append(round_.id)
        return f"terminal-{round_.id}"

    async def close_answering(self, round_: Round) -> None:
        self.write(f"(answering closed for round #{round_.id})")

    async def post_reveal(self, summary: RevealSummary) -> None:
        self.write(render.reveal(summary))

    async def post_recap(self, recap: Recap) -> None:
        self.write(render.recap(recap))

    async def send_private(self, user: UserRef, text: str) -> None:
        self.write(f"[to {user.label}] {text}")
