"""Everyone's commands on Discord: scores, groups, drills, reports, topics."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.discord.ids import channel_ref
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID
from tests.discord_adapter.world import MANAGER, DiscordWorld, custom_ids, is_ephemeral, text_of

HERE = channel_ref(GUILD_ID, CHANNEL_ID)
ALICE, BOB = 960_000_000_000_000_021, 960_000_000_000_000_022


async def play_a_round(world: DiscordWorld, names: dict[int, str], right: set[int]) -> None:
    """Post a question, let each user answer (right or wrong), reveal."""
    await world.command("daily now", permissions=MANAGER)
    message = world.posted_message()
    round_ = await world.harness.services.rounds.open_round(HERE)
    correct = round_.question.answer
    wrong = next(letter for letter in "abcd" if letter != correct)
    ids = custom_ids(message)
    for user_id, name in names.items():
        letter = correct if user_id in right else wrong
        await world.click(message, ids["abcd".index(letter)], user_id=user_id, name=name)
    await world.harness.advance(timedelta(minutes=1))
    await world.command("daily reveal", permissions=MANAGER)


async def test_leaderboard_shows_names_without_pinging(world: DiscordWorld) -> None:
    await play_a_round(world, {ALICE: "@everyone", BOB: "**Bob**"}, right={ALICE, BOB})
    (response,) = await world.command("leaderboard", user_id=BOB, display="**Bob**")
    assert is_ephemeral(response)
    assert response["data"]["allowed_mentions"] == {"parse": []}
    text = text_of(response)
    assert "@\u200beveryone" in text and "@everyone" not in text
    assert "\\*\\*Bob\\*\\*" in text
    assert "← you" in text and "Your streak: 1 days" in text


async def test_leaderboard_periods_scopes_and_groups(world: DiscordWorld) -> None:
    (empty,) = await world.command("leaderboard", period="month", scope="channel")
    assert "Nobody has scored" in text_of(empty)
    (no_group,) = await world.command("leaderboard", scope="group")
    assert "group" in text_of(no_group)
    await world.command("group create", user_id=ALICE, name="Night Owls")
    (mine,) = await world.command("leaderboard", user_id=ALICE, scope="group", group="night owls")
    assert "Nobody has scored" in text_of(mine)
    (unknown,) = await world.command("leaderboard", scope="group", group="Nobody Here")
    assert is_ephemeral(unknown) and "Nobody Here" in text_of(unknown)


async def test_streak_and_stats_for_me_and_for_someone_else(world: DiscordWorld) -> None:
    await play_a_round(world, {ALICE: "Alice"}, right={ALICE})
    (mine,) = await world.command("streak", user_id=ALICE, display="Alice")
    assert "Current: 1 days" in text_of(mine)
    (theirs,) = await world.command("stats", user_id=BOB, display="Bob", user=ALICE)
    text = text_of(theirs)
    # Someone else's stats: the public numbers only (drills are private practice).
    assert "Week: 1" in text and "Drills:" not in text and "private practice" in text


async def test_groups(world: DiscordWorld) -> None:
    (made,) = await world.command("group create", user_id=ALICE, name="Night Owls")
    assert "Created **Night Owls**" in text_of(made)
    (dupe,) = await world.command("group create", user_id=BOB, name="night owls")
    assert "already exists" in text_of(dupe)
    (joined,) = await world.command("group join", user_id=BOB, display="Bob", name="night owls")
    assert "joined **Night Owls**" in text_of(joined)
    (listed,) = await world.command("group list")
    assert "2 members" in text_of(listed)
    (ping,) = await world.command("group create", name="@everyone")
    assert "@everyone" not in text_of(ping) and is_ephemeral(ping)
    (board,) = await world.command("group leaderboard", period="all")
    assert "Night Owls" in text_of(board)
    (left,) = await world.command("group leave", user_id=BOB, name="Night Owls")
    assert "left" in text_of(left)
    (unknown,) = await world.command("group join", name="Nobody")
    assert is_ephemeral(unknown) and "Nobody" in text_of(unknown)


async def test_a_private_drill_from_start_to_summary(world: DiscordWorld) -> None:
    (start,) = await world.command("drill", user_id=ALICE, count=2)
    assert is_ephemeral(start)
    data = start["data"]
    assert "question 1 of 2" in data["embeds"][0]["title"]
    session = await world.harness.services.drills.store.get_drill(1)
    first = session.questions[0]
    message = {**world.posted_message_from(data), "flags": 64}
    ids = custom_ids(message)
    (feedback,) = await world.click(
        message, ids["abcd".index(first.answer)], user_id=ALICE, name="Alice"
    )
    assert feedback["type"] == 7  # the drill message is edited in place
    text = text_of(feedback)
    assert "✅ Correct" in text and first.explanation[:30] in text and "question 2 of 2" in text

    (double,) = await world.click(message, ids[0], user_id=ALICE, name="Alice")
    assert "already answered" in text_of(double) and is_ephemeral(double)
    (other,) = await world.click(message, ids[0], user_id=BOB, name="Bob")
    assert "belongs to someone else" in text_of(other)

    await world.harness.restart()
    second = session.questions[1]
    next_message = {**world.posted_message_from(feedback["data"]), "flags": 64}
    wrong = next(letter for letter in "abcd" if letter != second.answer)
    (last,) = await world.click(
        next_message, custom_ids(next_message)["abcd".index(wrong)], user_id=ALICE, name="Alice"
    )
    text = text_of(last)
    assert "Not quite" in text and "Drill finished" in text and "1 of 2" in text
    assert last["data"]["components"] == []
    totals = await world.harness.services.drills.totals(session.user)
    assert (totals.answered, totals.correct) == (2, 1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"topic": "astrology"}, "unknown topic 'astrology'"),
        ({"topic": "ensembles", "difficulty": "medium"}, "no questions match"),
    ],
)
async def test_bad_drill_arguments(
    world: DiscordWorld, options: dict[str, str], message: str
) -> None:
    (response,) = await world.command("drill", **options)
    assert is_ephemeral(response) and message in text_of(response)


async def test_drill_works_in_direct_messages(world: DiscordWorld) -> None:
    (response,) = await world.command("drill", guild=False, count=1)
    assert is_ephemeral(response) and "question 1 of 1" in text_of(response)


async def test_server_only_commands_refuse_direct_messages(world: DiscordWorld) -> None:
    (response,) = await world.command("streak", guild=False)
    assert "only works in a server" in text_of(response)


async def test_report_and_reports(world: DiscordWorld) -> None:
    (bad,) = await world.command("report", question="no-such-id", reason="wrong answer")
    assert "no-such-id" in text_of(bad) and is_ephemeral(bad)
    (filed,) = await world.command("report", question="eval-one", reason="option b is also right")
    assert "report #1" in text_of(filed)
    (listed,) = await world.command("daily reports", permissions=MANAGER)
    assert "eval-one" in text_of(listed) and "option b is also right" in text_of(listed)
    choices = await world.autocomplete("report", "question", question="eval-")
    assert {c["value"] for c in choices} == {"eval-one", "eval-two", "eval-three"}


async def test_topics_lists_the_bank(world: DiscordWorld) -> None:
    (response,) = await world.command("topics")
    text = text_of(response)
    assert "questions in 2 topics" in text and "**evaluation** — 3" in text
