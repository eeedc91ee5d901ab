"""Everything sent to Discord fits its documented limits, for every question."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.adapters.discord import limits, render
from bot.adapters.discord.client import StudyBot
from bot.adapters.discord.components import AnswerButton, DrillButton, answer_view, drill_view
from bot.bank import load_bank
from bot.core.models import (
    DrillFeedback,
    DrillSession,
    Leaderboard,
    Period,
    RevealSummary,
    Round,
    RoundKind,
    RoundStatus,
    Scope,
    ScoreRow,
    UserRef,
)
from bot.core.questions import Question
from tests.discord_adapter.world import DiscordWorld
from tests.helpers import CHANNEL

REPO = Path(__file__).resolve().parents[2]
BIG_ID = 10**18 - 1
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
LONG_NAME = "W" * 32


def bank() -> tuple[Question, ...]:
    result = load_bank([REPO / "questions"])
    assert result.ok, [str(p) for p in result.errors]
    return result.questions


QUESTIONS = bank()


def round_of(question: Question) -> Round:
    return Round(
        id=BIG_ID,
        channel=CHANNEL,
        question=question,
        kind=RoundKind.SCHEDULED,
        round_date=date(2026, 11, 23),
        timezone="UTC",
        posted_at=NOW,
        reveals_at=NOW + timedelta(hours=1),
        status=RoundStatus.OPEN,
        message_id=str(BIG_ID),
    )


def check_embed(embed: discord.Embed) -> None:
    data: dict[str, Any] = embed.to_dict()  # type: ignore[assignment]
    assert len(embed) <= limits.EMBED_TOTAL
    assert len(data.get("title", "")) <= limits.EMBED_TITLE
    assert len(data.get("description", "")) <= limits.EMBED_DESCRIPTION
    assert len(data.get("fields", [])) <= limits.EMBED_FIELDS
    for field in data.get("fields", []):
        assert 1 <= len(field["name"]) <= limits.FIELD_NAME
        assert 1 <= len(field["value"]) <= limits.FIELD_VALUE
    assert len(data.get("footer", {}).get("text", "")) <= limits.FOOTER_TEXT


def check_view(view: discord.ui.View) -> None:
    for item in view.children:
        assert isinstance(item, discord.ui.DynamicItem)
        button = item.item
        assert isinstance(button, discord.ui.Button)
        assert button.custom_id is not None and len(button.custom_id) <= limits.CUSTOM_ID
        assert button.label is not None and len(button.label) <= limits.BUTTON_LABEL
    assert len(view.children) <= 5  # one action row


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_fits_in_every_message(question: Question) -> None:
    round_ = round_of(question)
    check_embed(render.question_embed(round_))
    if question.choices:
        check_view(answer_view(round_))
        check_view(answer_view(round_, disabled=True))
    letters = question.letters() or ("a",)
    summary = RevealSummary(
        round=round_,
        counts={letter: 10**6 for letter in letters},
        total=10**6 * len(letters),
        correct=10**6,
        first_correct=(LONG_NAME,) * 3,
        streaks=tuple((LONG_NAME, 999) for _ in range(40)),
    )
    check_embed(render.reveal_embed(summary))
    if question.choices:
        session = DrillSession(BIG_ID, UserRef("discord", "1"), (question, question), 0, 0, NOW)
        check_embed(render.drill_question_embed(session))
        check_view(drill_view(session))
        moved = DrillSession(BIG_ID, UserRef("discord", "1"), (question, question), 1, 0, NOW)
        feedback = DrillFeedback(moved, question, "a", False)
        pair = [render.drill_feedback_embed(feedback), render.drill_question_embed(moved)]
        for embed in pair:
            check_embed(embed)
        assert sum(len(e) for e in pair) <= limits.EMBED_TOTAL  # the limit is per message


def test_custom_ids_round_trip_through_their_templates() -> None:
    for item, pattern in (
        (AnswerButton(BIG_ID, "e"), AnswerButton.__discord_ui_compiled_template__),
        (DrillButton(BIG_ID, 19, "e"), DrillButton.__discord_ui_compiled_template__),
    ):
        assert item.custom_id is not None and len(item.custom_id) <= limits.CUSTOM_ID
        assert pattern.fullmatch(item.custom_id)


def test_crowded_leaderboard_fits() -> None:
    rows = tuple(ScoreRow(i, i, "*_~`@" * 7, 10**9, 10**6, 10**6) for i in range(1, 26))
    board = Leaderboard(
        Period.ALL, "all", Scope.SPACE, rows, ScoreRow(999, 999, LONG_NAME, 1, 1, 1), "x" * 300
    )
    check_embed(render.leaderboard_embed(board))


def test_clip_and_fit_cut_cleanly_with_a_marker() -> None:
    assert limits.clip("short", 10) == "short"
    cut = limits.clip("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith(limits.MARKER)
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    for i in range(30):
        embed.add_field(name=f"n{i}", value="v" * 2000)
    fitted = limits.fit(embed)
    check_embed(fitted)
    assert fitted.description is not None and fitted.description.endswith(limits.MARKER)


NAME = re.compile(r"^[-_\w]{1,32}$")


def _check_command(payload: dict[str, Any]) -> None:
    assert NAME.fullmatch(payload["name"]) and payload["name"] == payload["name"].lower()
    if payload.get("type", 1) == 1:
        assert 1 <= len(payload["description"]) <= limits.COMMAND_DESCRIPTION
    options = payload.get("options", [])
    assert len(options) <= 25
    required_done = False
    for option in options:
        if option["type"] in (1, 2):
            _check_command(option)
            continue
        assert NAME.fullmatch(option["name"]) and option["name"] == option["name"].lower()
        assert 1 <= len(option["description"]) <= limits.COMMAND_DESCRIPTION
        assert len(option.get("choices", [])) <= limits.CHOICES
        # Discord requires required options before optional ones.
        if not option.get("required", False):
            required_done = True
        else:
            assert not required_done, f"{payload['name']}: required option after optional"


async def test_command_tree_payloads_are_valid(world: DiscordWorld) -> None:
    bot: StudyBot = world.bot
    names = set()
    commands = bot.tree.get_commands()
    assert {c.name for c in commands} >= {
        "daily",
        "drill",
        "leaderboard",
        "streak",
        "stats",
        "topics",
        "group",
        "report",
        "help",
    }
    for command in commands:
        payload = command.to_dict(bot.tree)
        _check_command(payload)
        assert payload["name"] not in names
        names.add(payload["name"])
    daily = next(c for c in commands if c.name == "daily").to_dict(bot.tree)
    assert int(daily["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert daily["dm_permission"] is False  # guild only


PLACEHOLDERS = {"…", "...", ""}


def _description_problem(what: str, description: str, limit: int) -> str | None:
    text = description.strip()
    if text in PLACEHOLDERS:
        return f"{what}: placeholder description {description!r}"
    if len(description) > limit:
        return f"{what}: description of {len(description)} characters"
    return None


async def test_every_command_and_option_has_a_real_description(world: DiscordWorld) -> None:
    problems: list[str | None] = []
    walked: set[str] = set()
    for command in world.bot.tree.walk_commands():
        walked.add(command.qualified_name)
        if len(command.name) > limits.COMMAND_NAME:
            problems.append(f"/{command.qualified_name}: name over {limits.COMMAND_NAME}")
        where = f"/{command.qualified_name}"
        problems.append(
            _description_problem(where, command.description, limits.COMMAND_DESCRIPTION)
        )
        if isinstance(command, app_commands.Group):
            continue
        for param in command.parameters:
            where = f"/{command.qualified_name} {param.display_name}"
            if len(param.display_name) > limits.OPTION_NAME:
                problems.append(f"{where}: name over {limits.OPTION_NAME}")
            problems.append(
                _description_problem(where, param.description, limits.OPTION_DESCRIPTION)
            )
    # The walk reached the subcommands of every group, including the ones this guards.
    assert {"daily setup", "daily recap", "group join", "group leave", "drill"} <= walked
    assert [p for p in problems if p] == []
