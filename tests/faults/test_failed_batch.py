"""A write batch that fails after the user rows were upserted.

Disk full or an I/O error can end the answer transaction after
``Identities.user_ids`` has inserted new users and cached their keys. The
transaction is rolled back, but the cache is not, so it holds keys of rows
that no longer exist, and SQLite hands the same key to the next new user.
PostgreSQL never hands a key out twice, so there a stale key would point at no
row at all. On PostgreSQL an ``OSError`` inside a write is taken for a lost
connection and reaches the caller as ``StoreBusy``; rolled back all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from bot.core.errors import StoreBusy
from bot.core.models import AnswerOutcome, ChannelRef, UserRef
from tests.faults.support import FaultHarness, on_postgres
from tests.helpers import CHANNEL, user


def failure_seen(bot: FaultHarness) -> type[Exception]:
    """What the caller of a write that raised ``OSError`` inside gets."""
    return StoreBusy if on_postgres(bot.db_path) else OSError


async def test_a_rolled_back_batch_does_not_leave_stale_user_keys(bot: FaultHarness) -> None:
    assert bot.runtime is not None
    ids = bot.runtime.store.ids
    rounds = bot.services.rounds
    round_ = await rounds.post_now(CHANNEL)
    assert (await rounds.answer(round_.id, user("Alice"), "a")).outcome is AnswerOutcome.ACCEPTED

    real = ids.user_ids

    async def then_disk_full(conn: Any, users: Iterable[UserRef]) -> dict[tuple[str, str], int]:
        await real(conn, users)
        ids.user_ids = real  # type: ignore[method-assign]
        raise OSError("database or disk is full")  # any failure later in the transaction

    ids.user_ids = then_disk_full  # type: ignore[method-assign]
    with pytest.raises(failure_seen(bot)):
        await rounds.answer(round_.id, user("Bob"), "b")
    carol = await rounds.answer(round_.id, user("Carol"), "c")
    assert carol.outcome is AnswerOutcome.ACCEPTED
    bob = await rounds.answer(round_.id, user("Bob"), "d")
    assert (bob.outcome, bob.choice) == (AnswerOutcome.ACCEPTED, "d")
    stored = dict(
        await bot.query(
            "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id"
        )
    )
    assert stored == {"alice": "a", "carol": "c", "bob": "d"}
    rows = dict(await bot.query("SELECT external_id, id FROM users"))
    # On SQLite Carol got the key Bob's rolled-back row had; Bob got a new
    # one, and the cache agrees with the table for everyone.
    assert len(set(rows.values())) == 3
    cached = await ids.user_ids(bot.runtime.db.reader, [user("Alice"), user("Bob"), user("Carol")])
    assert cached == {("test", name): key for name, key in rows.items()}


async def test_a_rolled_back_claim_does_not_leave_stale_channel_keys(bot: FaultHarness) -> None:
    """The same for spaces and channels: a claim that fails after its channel
    row was inserted must not leave that channel's key cached."""
    assert bot.runtime is not None
    ids = bot.runtime.store.ids
    rounds = bot.services.rounds
    real = ids.channel_id

    async def then_io_error(conn: Any, channel: ChannelRef) -> int:
        await real(conn, channel)
        ids.channel_id = real  # type: ignore[method-assign]
        raise OSError("disk I/O error")

    ids.channel_id = then_io_error  # type: ignore[method-assign]
    with pytest.raises(failure_seen(bot)):
        await rounds.post_now(CHANNEL)
    assert await bot.runtime.store.unrevealed_rounds() == []
    # A channel in another space now takes the keys the rolled-back rows had.
    elsewhere = ChannelRef("test", "space-2", "chan-9")
    there = await rounds.post_now(elsewhere)
    here = await rounds.post_now(CHANNEL)
    placed = dict(
        await bot.query(
            "SELECT r.id, s.external_id || '/' || c.external_id FROM rounds r "
            "JOIN channels c ON c.id = r.channel_id JOIN spaces s ON s.id = r.space_id"
        )
    )
    assert placed == {there.id: "space-2/chan-9", here.id: "space-1/chan-1"}
    assert (await rounds.open_round(CHANNEL)).id == here.id
    assert (await rounds.open_round(elsewhere)).id == there.id
