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

from bot.core.models import AnswerOutcome, UserRef
from tests.faults.support import FaultHarness, sqlite
from tests.helpers import CHANNEL, user


@pytest.mark.xfail(
    strict=True,
    reason="bug: Identities caches user keys inside the write transaction and keeps "
    "them after a rollback, so a later answer can land on another user's key",
)
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
    finally:
        await bot.stop()
