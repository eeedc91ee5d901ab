"""Autocomplete never offers a choice Discord would cut: every suggestion fits whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from bot.adapters.discord import limits
from bot.adapters.discord.autocomplete import list_matching, matching
from bot.adapters.discord.ids import channel_ref
from bot.bank import QuestionBank
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID
from tests.discord_adapter.world import MANAGER, DiscordWorld
from tests.helpers import Harness, make_question

# Topics with long slugs, so a handful of them reach the 100-character limit.
LONG_TOPICS = (
    "feature-engineering",
    "regularization-and-tuning",
    "reinforcement-learning",
    "mlops-and-deployment",
    "unsupervised-models",
    "data-preprocessing",
    "frameworks-and-tools",
)
LONG_LIST = ",".join(LONG_TOPICS)
# The topics of the question bank in questions/, one question each.
BANK_TOPICS = (
    "data-and-pipelines",
    "data-preprocessing",
    "deep-learning",
    "ensembles",
    "evaluation",
    "feature-engineering",
    "frameworks-and-tools",
    "fundamentals",
    "ml-system-design",
    "mlops-and-deployment",
    "monitoring",
    "regularization-and-tuning",
    "reinforcement-learning",
    "responsible-ai",
    "supervised-models",
    "unsupervised-models",
)
# Four long topics plus a trailing comma: 90 characters, room for 10 more.
NINETY = ",".join(LONG_TOPICS[:4]) + ","


@pytest.fixture
async def world(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[DiscordWorld]:
    """The running bot, with a bank that has every topic of the real one."""
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    harness.bank = QuestionBank(make_question(f"{t}-one", t, "a") for t in BANK_TOPICS)
    made = DiscordWorld(harness)
    await harness.start()
    yield made
    if made.client is not None:
        await made.client.close()
    await harness.stop()


def check_list_choices(choices: list[dict[str, str]], known: set[str], typed: str) -> None:
    """Each choice fits whole, lists only known topics once, and keeps what was typed."""
    typed_done = [t for t in typed.replace(" ", ",").split(",")[:-1] if t]
    for choice in choices:
        assert choice["name"] == choice["value"]
        assert len(choice["name"]) <= limits.CHOICE_NAME
        assert len(choice["value"]) <= limits.CHOICE_VALUE
        parts = choice["value"].split(",")
        assert all(part in known for part in parts), choice
        assert len(set(parts)) == len(parts), choice
        assert parts[: len(typed_done)] == list(dict.fromkeys(typed_done)), (typed, choice)
    assert len(choices) <= limits.AUTOCOMPLETE_CHOICES


async def test_topic_suggestions_for_a_long_list_are_never_cut(world: DiscordWorld) -> None:
    known = set(world.harness.services.bank.topics())
    assert set(LONG_TOPICS) <= known
    assert len(LONG_LIST) > limits.CHOICE_VALUE
    offered_long_lists = 0
    for end in range(1, len(LONG_LIST) + 2):
        typed = (LONG_LIST + ",")[:end]
        choices = await world.autocomplete("daily setup", "topics", topics=typed)
        check_list_choices(choices, known, typed)
        offered_long_lists += any(c["value"].count(",") >= 4 for c in choices)
        if len(typed.rstrip(",")) > limits.CHOICE_VALUE:
            # Too long to offer at all: nothing rather than a clipped list.
            assert choices == [], typed
    assert offered_long_lists  # lists of five topics were offered while they fit


async def test_only_topics_that_fit_are_offered_near_the_limit(world: DiscordWorld) -> None:
    known = world.harness.services.bank.topics()
    choices = await world.autocomplete("daily setup", "topics", topics=NINETY)
    room = limits.CHOICE_VALUE - len(NINETY)
    fitting = [t for t in known if t not in LONG_TOPICS[:4] and len(t) <= room]
    too_long = [t for t in known if t not in LONG_TOPICS[:4] and len(t) > room]
    assert fitting and too_long  # the case tests both sides of the limit
    assert sorted(c["value"] for c in choices) == sorted(NINETY + t for t in fitting)


async def test_a_list_too_long_to_extend_is_offered_as_typed(world: DiscordWorld) -> None:
    full = NINETY + "evaluation"
    assert len(full) == limits.CHOICE_VALUE
    for typed in (full, full + ",", full + ", "):
        choices = await world.autocomplete("daily setup", "topics", topics=typed)
        assert choices == [{"name": full, "value": full}], typed
    # Unfinished last topic that cannot fit, or an unknown one: nothing to offer.
    for typed in (NINETY + "data-pre", NINETY + "nope", "nope,eval"):
        assert await world.autocomplete("daily setup", "topics", topics=typed) == [], typed


async def test_a_picked_suggestion_sets_up_the_schedule(world: DiscordWorld) -> None:
    typed = ",".join(LONG_TOPICS[:3]) + ",mlops"
    (choice,) = await world.autocomplete("daily setup", "topics", topics=typed)
    assert choice["value"] == ",".join(LONG_TOPICS[:4])
    await world.command(
        "daily setup",
        permissions=MANAGER,
        channel=CHANNEL_ID,
        time_of_day="09:00",
        timezone="UTC",
        topics=choice["value"],
    )
    saved = await world.harness.services.schedules.get(channel_ref(GUILD_ID, CHANNEL_ID))
    assert saved.topics == LONG_TOPICS[:4]


def test_list_matching_normalises_what_was_typed() -> None:
    known = ["ensembles", "evaluation", "fundamentals"]
    values = [c.value for c in list_matching(known, " Evaluation , en")]
    assert values == ["evaluation,ensembles"]
    # Spaces separate items as they do for /daily setup; repeats are dropped.
    assert [c.value for c in list_matching(known, "evaluation evaluation f")] == [
        "evaluation,fundamentals"
    ]
    assert [c.value for c in list_matching(known, "")] == known


@pytest.mark.parametrize("length", [99, 100, 101, 150])
def test_matching_skips_values_too_long_for_a_choice(length: int) -> None:
    long_value = "a" * length
    values = [c.value for c in matching([long_value, "abc"], "a")]
    fits = length <= limits.CHOICE_VALUE
    assert values == ([long_value, "abc"] if fits else ["abc"])
    for choice in matching([long_value, "abc"], "a"):
        assert choice.name == choice.value
