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
from bot.core.reviews import Grade, ReviewExpired, ReviewSession, ReviewStep

if TYPE_CHECKING:
    from bot.app import Services

ANSWER_ID = "studybot:answer:{round_id}:{letter}"
DRILL_ID = "studybot:drill:{session_id}:{position}:{letter}"
REVIEW_ID = "studybot:review:{session_id}:{position}:{action}"


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


SHOW = "show"
GRADE_STYLES = {
    Grade.AGAIN: discord.ButtonStyle.danger,
    Grade.HARD: discord.ButtonStyle.secondary,
    Grade.GOOD: discord.ButtonStyle.success,
    Grade.EASY: discord.ButtonStyle.primary,
}


def grade_action(grade: Grade) -> str:
    return f"grade:{grade.value}"


class ReviewButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"studybot:review:(?P<session>[0-9]{1,18}):(?P<position>[0-9]{1,3}):"
    r"(?P<action>[a-e]|show|grade:[1-4])",
):
    """One button of a review card: a letter of a choice item, "Show answer"
    of a flashcard, or one of its four grades. The position in the custom_id
    is the card the user saw, so a click on a card already done is refused
    by the service (a double click counts once)."""

    def __init__(self, session_id: int, position: int, action: str) -> None:
        self.session_id = session_id
        self.position = position
        self.action = action
        if action == SHOW:
            label, style = "Show answer", discord.ButtonStyle.primary
        elif action.startswith("grade:"):
            grade = Grade(int(action.removeprefix("grade:")))
            label, style = grade.label.title(), GRADE_STYLES[grade]
        else:
            label, style = action.upper(), discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=REVIEW_ID.format(session_id=session_id, position=position, action=action),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReviewButton:
        return cls(int(match["session"]), int(match["position"]), match["action"])

    async def _answer(self, interaction: discord.Interaction) -> None:
        reviews = services_of(interaction).reviews
        user = user_ref(interaction.user)
        step: ReviewStep
        try:
            if self.action == SHOW:
                shown = await reviews.show_answer(self.session_id, user, self.position)
                await interaction.response.edit_message(
                    embeds=[render.review_item_embed(shown.session)],
                    view=review_view(shown.session),
                )
                return
            if self.action.startswith("grade:"):
                grade = Grade(int(self.action.removeprefix("grade:")))
                step = await reviews.grade(self.session_id, user, self.position, grade)
            else:
                step = await reviews.answer(self.session_id, user, self.position, self.action)
        except ReviewExpired as expired:
            # Nothing on this message can be pressed any more: say so on it
            # and take its buttons away (every grade given so far is saved).
            await interaction.response.edit_message(
                content=f"⌛ {render.safe(str(expired))}", view=None
            )
            return
        await interaction.response.edit_message(
            embeds=render.review_step_embeds(step), view=review_view(step.session)
        )


def review_view(session: ReviewSession) -> discord.ui.View | None:
    """The buttons of the current card; ``None`` once the session is finished."""
    item = session.current
    if item is None:
        return None
    view = discord.ui.View(timeout=None)
    if not item.flashcard:
        actions = list(item.question.letters())
    elif not session.revealed:
        actions = [SHOW]
    else:
        actions = [grade_action(grade) for grade in Grade]
    for action in actions:
        view.add_item(ReviewButton(session.id, session.position, action))
    return view
