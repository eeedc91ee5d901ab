"""The soak benchmark's short version, run in CI: 20 channels (19 on Discord, one
in the terminal) for 60 simulated days through the real adapters, then the books
are checked: one post and one reveal per channel and day, every answer stored
and scored once, and every total a leaderboard reads equal to a recount of the
answers. See tests/soak.py for the driver and bench/soak.py for the figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import time_machine

from bot.adapters.terminal.platform import PLATFORM as TERMINAL
from bot.core.models import Period, Scope, UserRef
from bot.core.periods import keys_for
from tests.soak import Shape, Soak

SHAPE = Shape(channels=20, days=60, answers=4, spare_members=2)
LOOSE_RSS_GROWTH_MB = 20


@pytest.fixture
async def soak(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[Soak]:
    made = Soak(SHAPE, tmp_path, traveller)
    await made.start()
    yield made
    await made.stop()


@pytest.mark.slow
async def test_sixty_days_post_once_and_score_every_answer_once(soak: Soak) -> None:
    before = soak.view_store()
    days = await soak.run(checkpoints={1, SHAPE.days})
    after = soak.view_store()

    assert [d.oddities for d in days] == [[]] * SHAPE.days
    assert [d.questions for d in days] == [SHAPE.channels] * SHAPE.days
    assert [d.reveals for d in days] == [SHAPE.channels] * SHAPE.days
    on_discord = sum(1 for c in soak.channels if c.platform != TERMINAL)
    assert on_discord == SHAPE.channels - 1
    assert [d.edits for d in days] == [on_discord] * SHAPE.days  # every round's buttons closed
    assert sum(d.missed_posts + d.doubled_posts for d in days) == 0
    assert sum(d.missed_reveals + d.doubled_reveals for d in days) == 0
    # Weekly recaps: two servers, in Kolkata and Berlin; each of the 8 Mondays
    # after a week with rounds (the first recap is for the first week).
    assert sum(d.recaps for d in days) == SHAPE.channels * 8

    sent = SHAPE.channels * SHAPE.days * SHAPE.answers
    assert sum(d.answers_sent for d in days) == sum(d.answers_locked for d in days) == sent
    assert sum(d.answers_refused + d.answers_lost for d in days) == 0
    reader = soak.runtime.db.reader
    answers = list(
        await reader.execute_fetchall(
            "SELECT r.space_id, r.channel_id, r.round_date, a.user_id, a.points, a.correct "
            "FROM answers a JOIN rounds r ON r.id = a.round_id"
        )
    )
    assert len(answers) == sent
    assert all(row[4] is not None and row[5] is not None for row in answers)

    # Every total the leaderboards read, recounted from the answers.
    expected: Counter[tuple[int, int, str, int, str]] = Counter()
    per_person: Counter[tuple[int, int, str]] = Counter()
    for space, channel_id, day, user, points, correct in answers:
        per_person[(space, user, "answered")] += 1
        per_person[(space, user, "correct")] += correct
        for scope in (channel_id, 0):
            for period in keys_for(date.fromisoformat(day)):
                key = (space, scope, period, user)
                expected[(*key, "points")] += points
                expected[(*key, "correct")] += correct
                expected[(*key, "answered")] += 1
    stored: Counter[tuple[int, int, str, int, str]] = Counter()
    for space, scope, period, user, points, correct, answered in await reader.execute_fetchall(
        "SELECT space_id, channel_id, period, user_id, points, correct, answered FROM scores"
    ):
        stored[(space, scope, period, user, "points")] += points
        stored[(space, scope, period, user, "correct")] += correct
        stored[(space, scope, period, user, "answered")] += answered
    assert stored == expected
    streaks: Counter[tuple[int, int, str]] = Counter()
    for space, user, answered, correct in await reader.execute_fetchall(
        "SELECT space_id, user_id, answered, correct FROM streaks"
    ):
        streaks[(space, user, "answered")] += answered
        streaks[(space, user, "correct")] += correct
    assert streaks == per_person

    # And what the leaderboard service shows for each channel, all time.
    internal: dict[str, int] = {
        row[0]: row[1]
        for row in await reader.execute_fetchall("SELECT external_id, id FROM channels")
    }
    boards = soak.harness.services.boards
    for channel in soak.channels:
        totals = {
            user: n
            for (_, scope, period, user, what), n in expected.items()
            if scope == internal[str(channel.channel)] and period == "all" and what == "points"
        }
        caller = UserRef(channel.platform, "nobody", "nobody")
        board = await boards.leaderboard(channel.ref, caller, Period.ALL, Scope.CHANNEL)
        assert len(board.rows) == min(len(totals), soak.harness.services.settings.leaderboard_size)
        for row in board.rows:
            assert row.points == totals[row.user_id]
            higher = sum(1 for p in totals.values() if p > row.points)
            tied = sum(1 for p in totals.values() if p == row.points)
            assert higher < row.rank <= higher + tied

    assert before == after
    assert after["views"] == after["message_views"] == 0
    # Memory, less SQLite's page caches (which fill towards database.cache_mb by design).
    held = []
    for day in (days[0], days[-1]):
        assert day.rss_mb is not None and day.sqlite_mb is not None
        held.append(day.rss_mb - day.sqlite_mb)
    assert held[1] - held[0] < LOOSE_RSS_GROWTH_MB
