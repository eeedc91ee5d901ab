"""Ranks read through ``score_levels`` must equal a plain sort of ``scores``.

The rank query trusts triggers to keep one row per distinct points total; if
a trigger missed an insert, an update or a delete, ranks would drift silently.
Here many rounds with ties, wrong answers and late answers are played through
the real reveal, and every caller's rank on every board is checked against
the order the leaderboard itself promises (points, then who got there first,
then user key).
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.core.models import Period, Scope
from bot.storage.database import Database, apply_migrations
from bot.storage.scores import _RANK
from bot.storage.ties import BLOCK_LIMIT
from tests.helpers import CHANNEL, OTHER_CHANNEL, Harness, user


async def _expected_ranks(bot: Harness) -> dict[tuple[int, int, str], dict[int, int]]:
    rows = await bot.query(
        "SELECT space_id, channel_id, period, user_id, points, reached_at FROM scores"
    )
    boards: dict[tuple[int, int, str], list[tuple[int, str, int]]] = {}
    for space, channel, period, user_id, points, reached in rows:
        boards.setdefault((space, channel, period), []).append((-points, reached, user_id))
    return {
        board: {entry[2]: rank for rank, entry in enumerate(sorted(entries), start=1)}
        for board, entries in boards.items()
    }


async def _levels_match_scores(bot: Harness) -> None:
    levels = await bot.query(
        "SELECT space_id, channel_id, period, points, users FROM score_levels WHERE users != 0"
    )
    grouped = await bot.query(
        "SELECT space_id, channel_id, period, points, COUNT(*) FROM scores "
        "GROUP BY space_id, channel_id, period, points"
    )
    assert sorted(levels) == sorted(grouped)


@pytest.mark.slow
async def test_every_rank_matches_a_full_sort(bot: Harness) -> None:
    rng = random.Random(11)
    people = [user(f"P{i}") for i in range(12)]
    for day in range(9):  # crosses a week boundary
        for channel in (CHANNEL, OTHER_CHANNEL):
            round_ = await bot.services.rounds.post_now(channel)
            question = round_.question
            for person in rng.sample(people, rng.randrange(3, len(people))):
                if rng.random() < 0.3:
                    bot.traveller.shift(timedelta(seconds=rng.randrange(0, 600)))
                letter = rng.choice(question.letters())
                await bot.services.rounds.answer(round_.id, person, letter)
            await bot.services.rounds.reveal(round_.id)
        bot.traveller.move_to(bot.now.replace(hour=9, minute=0) + timedelta(days=1))
        del day
    await _levels_match_scores(bot)
    expected = await _expected_ranks(bot)
    checked = 0
    for period in (Period.WEEK, Period.MONTH, Period.ALL):
        for scope in (Scope.SPACE, Scope.CHANNEL):
            for person in people:
                board = await bot.services.boards.leaderboard(CHANNEL, person, period, scope)
                if board.caller is None:
                    continue
                space_id, channel_id = await _board_ids(bot, scope)
                want = expected[(space_id, channel_id, board.period_key)][board.caller.user_id]
                assert board.caller.rank == want, (period, scope, person)
                checked += 1
    assert checked > 40  # the loop really compared ranks


async def _board_ids(bot: Harness, scope: Scope) -> tuple[int, int]:
    rows = await bot.query(
        "SELECT c.space_id, c.id FROM channels c WHERE c.external_id = ?", (CHANNEL.channel,)
    )
    space_id, channel_id = rows[0]
    return int(space_id), int(channel_id) if scope is Scope.CHANNEL else 0


async def test_levels_follow_deleted_users(bot: Harness) -> None:
    for name in ("A", "B", "C"):
        round_ = await bot.services.rounds.post_now(CHANNEL)
        await bot.services.rounds.answer(round_.id, user(name), round_.question.answer)
        await bot.services.rounds.reveal(round_.id)
    await bot.change("DELETE FROM users WHERE external_id = 'b'")
    await _levels_match_scores(bot)


async def test_upgrade_fills_levels_from_existing_scores(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await apply_migrations(conn, target=2)
        await conn.execute("INSERT INTO users (id, platform, external_id) VALUES (1, 't', 'a')")
        await conn.execute("INSERT INTO users (id, platform, external_id) VALUES (2, 't', 'b')")
        await conn.executemany(
            "INSERT INTO scores VALUES (1, 0, 'all', ?, ?, 1, 1, '2026-01-01')",
            [(1, 15), (2, 15)],
        )
        await conn.commit()
    async with Database(path) as db:
        rows = await db.reader.execute_fetchall("SELECT points, users FROM score_levels")
    assert [tuple(r) for r in rows] == [(15, 2)]


async def _blocks_match_scores(bot: Harness) -> int:
    """Every tie block holds exactly the users its key range says, no block is
    over the split limit once a reveal step ends; returns how many blocks."""
    blocks = await bot.query(
        "SELECT space_id, channel_id, period, points, lo_reached, lo_user, users "
        "FROM tie_blocks ORDER BY space_id, channel_id, period, points, lo_reached, lo_user"
    )
    rows = await bot.query(
        "SELECT space_id, channel_id, period, points, reached_at, user_id FROM scores"
    )
    by_level: dict[tuple[int, int, str, int], list[tuple[str, int]]] = {}
    for space, channel, period, points, reached, user_id in rows:
        by_level.setdefault((space, channel, period, points), []).append((reached, user_id))
    counted: dict[tuple[int, int, str, int], int] = {}
    for index, (space, channel, period, points, lo_reached, lo_user, users) in enumerate(blocks):
        level = (space, channel, period, points)
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        hi = (following[4], following[5]) if following and tuple(following[:4]) == level else None
        inside = [
            key
            for key in by_level.get(level, [])
            if key >= (lo_reached, lo_user) and (hi is None or key < hi)
        ]
        assert users == len(inside), (level, lo_reached, lo_user)
        assert users <= BLOCK_LIMIT
        counted[level] = counted.get(level, 0) + users
    assert {level: len(keys) for level, keys in by_level.items()} == {
        level: total for level, total in counted.items() if total
    }
    return len(blocks)


@pytest.mark.slow
async def test_ranks_deep_inside_a_large_tie(bot: Harness) -> None:
    """Thousands on the same total: the tie is split into blocks by the reveal
    and every caller's rank, first, last or deep inside, equals a full sort."""
    rng = random.Random(5)
    crowd = [user(f"T{i}") for i in range(2600)]
    round_ = await bot.services.rounds.post_now(CHANNEL)
    wrong = next(x for x in round_.question.letters() if x != round_.question.answer)
    for index, person in enumerate(crowd):
        if index % 97 == 0:  # several share an instant, so user keys break ties too
            bot.traveller.shift(timedelta(seconds=1))
        letter = round_.question.answer if rng.random() < 0.1 else wrong
        await bot.services.rounds.answer(round_.id, person, letter)
    await bot.services.rounds.reveal(round_.id)
    # A second round moves some of the tied users up and out of the tie.
    bot.traveller.move_to(bot.now.replace(hour=9, minute=0) + timedelta(days=1))
    second = await bot.services.rounds.post_now(CHANNEL)
    for person in rng.sample(crowd, 400):
        await bot.services.rounds.answer(second.id, person, second.question.answer)
    await bot.services.rounds.reveal(second.id)

    await _levels_match_scores(bot)
    assert await _blocks_match_scores(bot) > 8  # the big ties were split
    expected = await _expected_ranks(bot)
    space_id, channel_id = await _board_ids(bot, Scope.SPACE)
    checked = 0
    for person in [*crowd[:40], *crowd[-40:], *rng.sample(crowd, 200)]:
        board = await bot.services.boards.leaderboard(CHANNEL, person, Period.ALL, Scope.SPACE)
        assert board.caller is not None
        want = expected[(space_id, channel_id, board.period_key)][board.caller.user_id]
        assert board.caller.rank == want, person
        checked += 1
    assert checked == 280


async def test_rank_plan_reads_blocks_not_the_tie(tmp_path: Path) -> None:
    """The caller's rank walks indexes only: no statement scans a table."""
    async with Database(tmp_path / "plan.sqlite3") as db:
        plan = await db.reader.execute_fetchall(
            "EXPLAIN QUERY PLAN " + _RANK, ("test", "x", 1, 0, "all")
        )
    details = [str(row[3]) for row in plan]
    # `me` and `blk` are the one-row CTEs; every real table is searched by key.
    assert not [d for d in details if d.startswith("SCAN") and d not in {"SCAN me", "SCAN blk"}]
    assert any("tie_blocks" in d or "b USING PRIMARY KEY" in d for d in details), details
