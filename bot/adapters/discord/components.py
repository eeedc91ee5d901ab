"""Buttons whose custom_id carries their state, so they work after a restart.

discord.py's ``DynamicItem`` re-creates the button from the custom_id of any
message, old or new, so nothing has to be re-registered per round at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.adapters.discord import render
from bot.adapters.discord.ids import user_ref
from bot.adapters.discord.replies import in_time, reply, report_failure
from bot.core.models import DrillSession, Round

if TYPE_CHECKING:
    from bot.app import Services

ANSWER_ID = "studybot:answer:{round_id}:{letter}"
DRILL_ID = "studybot:drill:{session_id}:{position}:{letter}"


def services_of(interaction: discord.Interaction) -> Services:
    return cast("Services", interaction.client.services)  # type: ignore[attr-defined]


async def guarded(interaction: discord.Interaction, action: Awaitable[None]) -> None:
    try:
        await action
    except Exception as exc:
        await report_failure(interaction, exc)


class Guarded:
    """Runs a button's work through :func:`guarded`, so no click goes unanswered."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._answer(interaction))

    async def _answer(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class AnswerButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"studybot:answer:(?P<round>[0-9]{1,18}):(?P<letter>[a-e])",
):
    """One option of a daily question; the click is answered privately."""

    def __init__(self, round_id: int, letter: str, *, disabled: bool = False) -> None:
        self.round_id = round_id
        self.letter = letter
        super().__init__(
            discord.ui.Button(
                label=letter.upper(),
                style=discord.ButtonStyle.primary,
                custom_id=ANSWER_ID.format(round_id=round_id, letter=letter),
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AnswerButton:
        return cls(int(match["round"]), match["letter"])

    async def _answer(self, interaction: discord.Interaction) -> None:
        rounds = services_of(interaction).rounds
        answering = rounds.answer(self.round_id, user_ref(interaction.user), self.letter)
        result = await in_time(interaction, answering)
        await reply(interaction, render.answer_text(result))


def answer_view(round_: Round, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for letter in round_.question.letters():
        view.add_item(AnswerButton(round_.id, letter, disabled=disabled))
    return view


class DrillButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"studybot:drill:(?P<session>[0-9]{1,18}):(?P<position>[0-9]{1,3}):(?P<letter>[a-e])",
):
    """One option of a drill question; the drill message is edited in place."""

    def __init__(self, session_id: int, position: int, letter: str) -> None:
        self.session_id = session_id
        self.position = position
        self.letter = letter
        super().__init__(
            discord.ui.Button(
                label=letter.upper(),
                style=discord.ButtonStyle.secondary,
                custom_id=DRILL_ID.format(session_id=session_id, position=position, letter=letter),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DrillButton:
        return cls(int(match["session"]), int(match["position"]), match["letter"])

    async def _answer(self, interaction: discord.Interaction) -> None:
        drills = services_of(interaction).drills
        feedback = await drills.answer(
            self.session_id, user_ref(interaction.user), self.position, self.letter
        )
        session = feedback.session
        embeds = [render.drill_feedback_embed(feedback)]
        if session.finished:
            embeds.append(render.drill_summary_embed(session))
            await interaction.response.edit_message(embeds=embeds, view=None)
        else:
            embeds.append(render.drill_question_embed(session))
            await interaction.response.edit_message(embeds=embeds, view=drill_view(session))


def drill_view(session: DrillSession) -> discord.ui.View:
    question = session.current
    assert question is not None
    view = discord.ui.View(timeout=None)
    for letter in question.letters():
        view.add_item(DrillButton(session.id, session.position, letter))
    return view
