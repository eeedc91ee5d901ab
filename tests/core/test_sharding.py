"""Shard arithmetic and work ownership for several bot processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.sharding import assign, owner_of, parse_shard_range, shard_of

# Discord's documentation takes this snowflake apart: created 2016-04-30
# 11:18:25.796 UTC. Its top bits are that instant in ms since Discord's epoch.
DOCS_SNOWFLAKE = 175928847299117063
DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
API_GUILD = 81384788765712384  # the Discord API server, created 2015-08-13

ITEMS = [f"schedule:{n}" for n in range(10_000)]
PROCESSES = ["bot-a", "bot-b", "bot-c"]


def test_the_shard_is_cut_on_the_creation_time() -> None:
    created = DISCORD_EPOCH + timedelta(milliseconds=DOCS_SNOWFLAKE >> 22)
    assert created == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
    assert DOCS_SNOWFLAKE >> 22 == 41944705796


@pytest.mark.parametrize(
    ("guild_id", "shard_count", "shard"),
    [
        (DOCS_SNOWFLAKE, 1, 0),
        (DOCS_SNOWFLAKE, 16, 4),  # 41944705796 % 16
        (DOCS_SNOWFLAKE, 1000, 796),
        (API_GUILD, 16, 2),  # 19403645698 % 16
        (API_GUILD, 1000, 698),
        ((1 << 22) - 1, 7, 0),  # the low 22 bits never pick the shard
        (5 << 22, 3, 2),
    ],
)
def test_shard_of_known_ids(guild_id: int, shard_count: int, shard: int) -> None:
    assert shard_of(guild_id, shard_count) == shard


def test_shard_of_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        shard_of(DOCS_SNOWFLAKE, 0)
    with pytest.raises(ValueError, match="never negative"):
        shard_of(-1, 4)


@pytest.mark.parametrize(
    ("text", "shards"),
    [
        ("0-3", [0, 1, 2, 3]),
        ("5", [5]),
        ("0-3,6", [0, 1, 2, 3, 6]),
        (" 6 , 0 - 1 ", [0, 1, 6]),
        ("7-7", [7]),
        ("0-7", list(range(8))),
    ],
)
def test_parse_shard_range(text: str, shards: list[int]) -> None:
    assert parse_shard_range(text, shard_count=8) == shards


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no shards given: write a shard number like 5"),
        ("   ", "no shards given"),
        ("0-3,,6", "empty item between commas"),
        ("0-3,", "empty item between commas"),
        ("a", "'a' is not a shard number or a range like 0-3"),
        ("-1", "'-1' is not a shard number"),
        ("1-2-3", "'1-2-3' is not a shard number"),
        ("1.5", "'1.5' is not a shard number"),
        ("3-1", "the range 3-1 runs backwards; write 1-3"),
        ("8", "shard 8 does not exist: with 8 shards they are numbered 0-7"),
        ("6-9", "shard 9 does not exist"),
        ("0-3,2", "shard 2 is named twice"),
    ],
)
def test_parse_shard_range_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard_range(text, shard_count=8)


def test_parse_shard_range_needs_a_shard_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parse_shard_range("0", shard_count=0)


def test_every_item_has_exactly_one_live_owner() -> None:
    owned = assign(ITEMS, PROCESSES)
    assert set(owned) == set(PROCESSES)
    assert sorted(item for items in owned.values() for item in items) == sorted(ITEMS)
    for process, items in owned.items():
        assert all(owner_of(item, PROCESSES) == process for item in items)


def test_the_owner_does_not_depend_on_the_order_of_the_live_list() -> None:
    shuffled = [PROCESSES[2], PROCESSES[0], PROCESSES[1]]
    assert [owner_of(i, PROCESSES) for i in ITEMS[:500]] == [
        owner_of(i, shuffled) for i in ITEMS[:500]
    ]


def test_work_is_balanced() -> None:
    counts = sorted(len(items) for items in assign(ITEMS, PROCESSES).values())
    assert counts[0] >= 3333 * 0.95 and counts[-1] <= 3334 * 1.05, counts


def test_a_dead_process_gives_up_only_its_own_items() -> None:
    before = {item: owner_of(item, PROCESSES) for item in ITEMS}
    survivors = [p for p in PROCESSES if p != "bot-b"]
    after = {item: owner_of(item, survivors) for item in ITEMS}
    moved = [item for item in ITEMS if before[item] != after[item]]
    assert {before[item] for item in moved} == {"bot-b"}
    assert len(moved) == sum(1 for owner in before.values() if owner == "bot-b")
    # Its items spread over both survivors rather than landing on one.
    taken = [after[item] for item in moved]
    assert min(taken.count(p) for p in survivors) > len(moved) * 0.4


def test_a_new_process_takes_about_its_share_from_everyone() -> None:
    before = {item: owner_of(item, PROCESSES) for item in ITEMS}
    grown = [*PROCESSES, "bot-d"]
    after = {item: owner_of(item, grown) for item in ITEMS}
    moved = [item for item in ITEMS if before[item] != after[item]]
    assert {after[item] for item in moved} == {"bot-d"}
    assert 0.9 * len(ITEMS) / 4 <= len(moved) <= 1.1 * len(ITEMS) / 4
    given = [before[item] for item in moved]
    assert min(given.count(p) for p in PROCESSES) > len(moved) / 3 * 0.85


def test_no_live_process_is_an_error() -> None:
    with pytest.raises(ValueError, match="no live process to own 'reveal:1'"):
        owner_of("reveal:1", [])
    with pytest.raises(ValueError, match="no live process"):
        assign(["reveal:1"], [])


def test_the_owner_is_stable_across_runs_and_versions() -> None:
    """BLAKE2b, not the salted hash(): these owners hold in every process and
    every run. Changing the scoring moves every item at once, and during a
    rolling upgrade old and new processes would disagree, so it is pinned."""
    assert [owner_of(f"schedule:{n}", PROCESSES) for n in range(6)] == [
        "bot-a",
        "bot-c",
        "bot-b",
        "bot-a",
        "bot-b",
        "bot-c",
    ]
