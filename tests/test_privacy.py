"""A person's data: described, exported whole, erased with every board consistent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM
from bot.core.models import Period, Scope
from tests.helpers import CHANNEL, Harness, user


async def play_a_little(bot: Harness) -> int:
    """ann and bea answer a round; ann drills, joins a group and files a report."""
    services = bot.services
    round_ = await services.rounds.post_now(CHANNEL)
    right = round_.question.answer
    await services.rounds.answer(round_.id, user("ann"), right)
    await services.rounds.answer(round_.id, user("bea"), right)
    await services.rounds.reveal_now(CHANNEL)
    session = await services.drills.start(user("ann"), CHANNEL.space_key, count=1)
    await services.drills.answer(session.id, user("ann"), 0, "a")
    review = (await services.reviews.start(user("ann"), CHANNEL.space_key, 1)).session
    await services.reviews.answer(review.id, user("ann"), 0, "a")
    await services.groups.create(CHANNEL.space_key, "Tensor Tigers", user("ann"))
    await services.reports.report(CHANNEL, user("ann"), "eval-one", "the key looks wrong")
    return round_.id


async def count_rows(bot: Harness, table: str, user_id: int) -> int:
    """Rows of ``table`` that belong to the user with key ``user_id``."""
    assert table in {"cards", "review_log", "review_topics", "review_sessions"}
    assert bot.runtime is not None
    async with bot.runtime.db.reader.execute(
        f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def test_export_holds_everything_stored(bot: Harness) -> None:
    round_id = await play_a_little(bot)
    data = await bot.services.privacy.export(user("ann"))
    assert data["user"] == {"platform": "test", "id": "ann", "display_name": "ann"}
    assert [a["round"] for a in data["answers"]] == [round_id]
    assert {s["period"][0] for s in data["scores"]} == {"a", "w", "m"}
    assert data["streaks"][0]["current"] == 1
    assert len(data["drills"]) == 1 and data["groups"][0]["name"] == "Tensor Tigers"
    assert data["reports"][0]["reason"] == "the key looks wrong"
    # Spaced repetition: the drill's and the review's cards, grades and session.
    mine = [r for r in data["reviews"] if r["source"] in {"drill", "review"}]
    assert [r["source"] for r in mine] == ["drill", "review"]
    assert {r["question"] for r in mine} <= {c["question"] for c in data["cards"]}
    assert all(c["due"] and c["stability"] for c in data["cards"])
    assert sum(t["reviews"] for t in data["review_topics"]) == len(data["reviews"])
    assert len(data["review_sessions"]) == 1
    assert data["review_sessions"][0]["items"] == [mine[1]["question"]]
    json.loads(await bot.services.privacy.export_json(user("ann")))  # valid JSON
    nobody = await bot.services.privacy.export(user("zed"))
    assert nobody["answers"] == [] and nobody["user"]["id"] == "zed"
    assert nobody["cards"] == nobody["reviews"] == nobody["review_sessions"] == []


async def test_delete_erases_and_the_boards_close_up(bot: Harness) -> None:
    await play_a_little(bot)
    boards = bot.services.boards
    before = await boards.leaderboard(CHANNEL, user("bea"), Period.ALL, Scope.SPACE)
    assert [r.name for r in before.rows] == ["ann", "bea"]  # ann answered first
    review_tables = ("cards", "review_log", "review_topics", "review_sessions")
    assert bot.runtime is not None
    ann = await bot.runtime.store.ids.find_user(bot.runtime.db.reader, user("ann"))
    assert ann is not None
    held = {table: await count_rows(bot, table, ann) for table in review_tables}
    assert held["cards"] >= 2 and held["review_log"] >= 2 and held["review_sessions"] == 1
    erased = await bot.services.privacy.delete(user("ann"))
    assert {table: erased.rows[table] for table in review_tables} == held
    assert [await count_rows(bot, table, ann) for table in review_tables] == [0, 0, 0, 0]
    assert erased.rows["answers"] == 1 and erased.rows["scores"] == 6
    assert erased.rows["streaks"] == 1 and erased.rows["drill_answers"] == 1
    assert erased.rows["group_memberships"] == 1 and erased.rows["reports"] == 1
    after = await boards.leaderboard(CHANNEL, user("bea"), Period.ALL, Scope.SPACE)
    assert [r.name for r in after.rows] == ["bea"] and after.caller is not None
    assert after.caller.rank == 1
    # score_levels (the rank index kept by triggers) agrees with the scores left.
    reader = bot.runtime.db.reader
    async with reader.execute(
        "SELECT COUNT(*) FROM (SELECT space_id, channel_id, period, points, COUNT(*) AS n "
        "FROM scores GROUP BY 1, 2, 3, 4) s LEFT JOIN score_levels l USING "
        "(space_id, channel_id, period, points) WHERE l.users IS NULL OR l.users <> s.n"
    ) as cursor:
        assert (await cursor.fetchone())[0] == 0
    async with reader.execute("SELECT SUM(users) FROM score_levels") as cursor:
        assert (await cursor.fetchone())[0] == 6  # bea's six rows only
    assert (await bot.services.privacy.delete(user("ann"))).total == 0
    # ann can play again as a new person.
    round_ = await bot.services.rounds.post_now(CHANNEL)
    accepted = await bot.services.rounds.answer(round_.id, user("ann"), "a")
    assert accepted.outcome.value == "accepted"


async def test_the_terminal(bot: Harness, tmp_path: Path) -> None:
    said: list[str] = []
    assert bot.runtime is not None
    bot.runtime.platforms[PLATFORM] = TerminalPlatform(said.append)
    console = Console(bot.services, said.append, user_name="ann", export_dir=tmp_path)
    for line in ("/daily now", "a", "/daily reveal", "/privacy"):
        await console.handle(line)
    assert "studybot keeps" in said[-1]
    await console.handle("/privacy export")
    exported = json.loads((tmp_path / "studybot-export-ann.json").read_text())
    assert len(exported["answers"]) == 1
    await console.handle("/privacy delete")
    assert "/privacy delete confirm" in said[-1]
    assert exported == await bot.services.privacy.export(console.user)  # nothing erased yet
    await console.handle("/privacy delete confirm")
    assert said[-1].startswith("erased: 1 answers, 6 scores, 1 streaks")
    assert (await bot.services.privacy.export(console.user))["answers"] == []
    await console.handle("/privacy launch")
    assert said[-1] == "usage: /privacy [export|delete]"


async def test_the_command_line_for_admins(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await play_a_little(bot)
    await bot.stop()
    for name, value in bot.environment().items():
        monkeypatch.setenv(name, value)
    export = ["privacy", "export", "--platform", "test", "--user", "ann"]
    assert await asyncio.to_thread(main, export) == 0
    assert json.loads(capsys.readouterr().out)["answers"]
    delete = ["privacy", "delete", "--platform", "test", "--user", "ann"]
    assert await asyncio.to_thread(main, delete) == 0
    assert "erased test user ann: 1 answers" in capsys.readouterr().out
    await bot.start()
    assert (await bot.services.privacy.export(user("ann")))["answers"] == []
    assert (await bot.services.privacy.export(user("bea")))["answers"]
