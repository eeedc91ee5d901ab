"""A write batch that fails after the user rows were upserted.

Disk full or an I/O error can end the answer transaction after
``Identities.user_ids`` has inserted new users and cached their keys. The
transaction is rolled back, but the cache is not, so it holds keys of rows
that no longer exist, and SQLite hands the same key to the next new user.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.core.models import AnswerOutcome, ChannelRef, UserRef
from tests.faults.support import FaultHarness, sqlite
from tests.helpers import CHANNEL, user


async def test_a_rolled_back_batch_does_not_leave_stale_user_keys(
    tmp_path: Path, traveller: time_machine.Traveller
) -> None:
    bot = FaultHarness(tmp_path / "bot.sqlite3", traveller)
    await bot.start()
    try:
        assert bot.runtime is not None
        ids = bot.runtime.store.ids
        rounds = bot.services.rounds
        round_ = await rounds.post_now(CHANNEL)
        assert (
            await rounds.answer(round_.id, user("Alice"), "a")
        ).outcome is AnswerOutcome.ACCEPTED

        real = ids.user_ids

        async def then_disk_full(conn: Any, users: Iterable[UserRef]) -> dict[tuple[str, str], int]:
            await real(conn, users)
            ids.user_ids = real  # type: ignore[method-assign]
            raise OSError("database or disk is full")  # any failure later in the transaction

        ids.user_ids = then_disk_full  # type: ignore[method-assign]
        with pytest.raises(OSError):
            await rounds.answer(round_.id, user("Bob"), "b")
        carol = await rounds.answer(round_.id, user("Carol"), "c")
        assert carol.outcome is AnswerOutcome.ACCEPTED
        bob = await rounds.answer(round_.id, user("Bob"), "d")
        assert (bob.outcome, bob.choice) == (AnswerOutcome.ACCEPTED, "d")
        with sqlite(bot.db_path) as conn:
            stored = dict(
                conn.execute(
                    "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id"
                ).fetchall()
            )
        assert stored == {"alice": "a", "carol": "c", "bob": "d"}
        with sqlite(bot.db_path) as conn:
            rows = dict(conn.execute("SELECT external_id, id FROM users").fetchall())
        # Carol got the key Bob's rolled-back row had; Bob got a new one, and the
        # cache agrees with the table for everyone.
        assert len(set(rows.values())) == 3
        cached = await ids.user_ids(
            bot.runtime.db.reader, [user("Alice"), user("Bob"), user("Carol")]
        )
        assert cached == {("test", name): key for name, key in rows.items()}
    finally:
        await bot.stop()


async def test_a_rolled_back_claim_does_not_leave_stale_channel_keys(
    tmp_path: Path, traveller: time_machine.Traveller
) -> None:
    """The same for spaces and channels: a claim that fails after its channel
    row was inserted must not leave that channel's key cached."""
    bot = FaultHarness(tmp_path / "bot.sqlite3", traveller)
    await bot.start()
    try:
        assert bot.runtime is not None
        ids = bot.runtime.store.ids
        rounds = bot.services.rounds
        real = ids.channel_id

        async def then_io_error(conn: Any, channel: ChannelRef) -> int:
            await real(conn, channel)
            ids.channel_id = real  # type: ignore[method-assign]
            raise OSError("disk I/O error")

        ids.channel_id = then_io_error  # type: ignore[method-assign]
        with pytest.raises(OSError):
            await rounds.post_now(CHANNEL)
        assert await bot.runtime.store.unrevealed_rounds() == []
        # A channel in another space now takes the keys the rolled-back rows had.
        elsewhere = ChannelRef("test", "space-2", "chan-9")
        there = await rounds.post_now(elsewhere)
        here = await rounds.post_now(CHANNEL)
        with sqlite(bot.db_path) as conn:
            placed = dict(
                conn.execute(
                    "SELECT r.id, s.external_id || '/' || c.external_id FROM rounds r "
                    "JOIN channels c ON c.id = r.channel_id JOIN spaces s ON s.id = r.space_id"
                ).fetchall()
            )
        assert placed == {there.id: "space-2/chan-9", here.id: "space-1/chan-1"}
        assert (await rounds.open_round(CHANNEL)).id == here.id
        assert (await rounds.open_round(elsewhere)).id == there.id
    finally:
        await bot.stop()
