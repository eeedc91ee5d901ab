"""Several channels due in the same minute while the platform fails for some.

One channel's post fails for good (missing permission), one fails for a
while (timeout, rate limit), the rest work. Neither failure may delay or
block the others; the permanent one is recorded for ``/daily show``; the
transient one is retried after ``game.retry_post_after`` and then posted.
Also checks how the Discord adapter classifies HTTP 429.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from bot.adapters.discord.ids import channel_ref
from bot.adapters.discord.platform import delivering
from bot.core.models import ChannelRef, Round
from bot.core.ports import PostFailed
from bot.core.rounds import UNEXPECTED_POST_ERROR
from tests.discord_adapter.fakes import CHANNEL_ID, GUILD_ID, http_error
from tests.discord_adapter.world import MANAGER, DiscordWorld
from tests.faults.support import FaultHarness
from tests.helpers import MONDAY_8AM, RecordingPlatform

NINE = MONDAY_8AM.replace(hour=9)
RETRY_AFTER = timedelta(minutes=3)


def channel(name: str) -> ChannelRef:
    return ChannelRef("test", "space-1", name)


GONE = channel("gone")
THROTTLED = channel("throttled")
HEALTHY = [channel(f"ok-{i}") for i in range(5)]


@dataclass
class PerChannelPlatform(RecordingPlatform):
    """Fails posts per channel: ``failures[channel]`` is raised for as many
    attempts as ``attempts_left`` allows (forever when absent)."""

    failures: dict[ChannelRef, PostFailed] = field(default_factory=dict)
    attempts_left: dict[ChannelRef, int] = field(default_factory=dict)
    attempts: dict[ChannelRef, list[object]] = field(default_factory=dict)

    async def post_question(self, round_: Round) -> str | None:
        self.attempts.setdefault(round_.channel, []).append(round_.posted_at)
        failure = self.failures.get(round_.channel)
        left = self.attempts_left.get(round_.channel)
        if failure is not None and (left is None or left > 0):
            if left is not None:
                self.attempts_left[round_.channel] = left - 1
            raise failure
        return await super().post_question(round_)


@pytest.fixture
async def bot(
    store_target: Path | str, traveller: time_machine.Traveller
) -> AsyncIterator[FaultHarness]:
    harness = FaultHarness(store_target, traveller, retry_post_after=RETRY_AFTER)
    harness.platform = PerChannelPlatform()
    await harness.start()
    yield harness
    await harness.stop()


@pytest.mark.parametrize(
    "transient", ["timed out while posting", "Discord error 429 while trying to post"]
)
async def test_one_permanent_and_one_transient_failure_do_not_hold_up_the_rest(
    bot: FaultHarness, transient: str
) -> None:
    platform = bot.platform
    assert isinstance(platform, PerChannelPlatform)
    platform.failures[GONE] = PostFailed("missing permission: Send Messages", permanent=True)
    platform.failures[THROTTLED] = PostFailed(transient, permanent=False)
    platform.attempts_left[THROTTLED] = 1  # the first retry succeeds
    for where in (GONE, THROTTLED, *HEALTHY):
        await bot.services.schedules.setup(where, at="09:00", timezone="UTC", reveal_after="30m")

    await bot.move_to(NINE)
    # Every healthy channel got its question on time, whatever the others did.
    assert sorted((r.channel.channel, r.posted_at) for r in platform.posted) == [
        (c.channel, NINE) for c in HEALTHY
    ]
    gone = await bot.services.schedules.get(GONE)
    assert gone.failing == "missing permission: Send Messages"
    throttled = await bot.services.schedules.get(THROTTLED)
    assert throttled.failing == transient
    assert await bot.services.rounds.open_round(GONE) is None  # the claim was dropped
    jobs = {job.id for job in bot.runtime.scheduler.get_jobs()}  # type: ignore[union-attr]
    assert f"retry:{throttled.id}" in jobs and f"retry:{gone.id}" not in jobs

    await bot.move_to(NINE + RETRY_AFTER)
    late = [r for r in platform.posted if r.channel == THROTTLED]
    assert [(r.posted_at, r.round_date) for r in late] == [(NINE + RETRY_AFTER, NINE.date())]
    assert (await bot.services.schedules.get(THROTTLED)).failing is None

    await bot.move_to(NINE + timedelta(hours=3))
    # The permanent failure was tried once and not retried; still explained.
    assert platform.attempts[GONE] == [NINE]
    assert (await bot.services.schedules.get(GONE)).failing == "missing permission: Send Messages"
    # One question per channel and date; every round that was posted is revealed.
    assert len(platform.posted) == len(HEALTHY) + 1
    assert len({(r.channel, r.round_date) for r in platform.posted}) == len(platform.posted)
    assert sorted(s.round.id for s in platform.reveals) == sorted(r.id for r in platform.posted)


async def test_permanent_failure_clears_once_the_channel_works_again(bot: FaultHarness) -> None:
    platform = bot.platform
    assert isinstance(platform, PerChannelPlatform)
    platform.failures[GONE] = PostFailed("could not post: the channel is gone", permanent=True)
    await bot.services.schedules.setup(GONE, at="09:00", timezone="UTC")
    await bot.services.schedules.setup(HEALTHY[0], at="09:00", timezone="UTC")
    await bot.move_to(NINE + timedelta(hours=2))
    assert [r.channel for r in platform.posted] == [HEALTHY[0]]
    del platform.failures[GONE]
    await bot.move_to(NINE + timedelta(days=1))
    assert [r.channel for r in platform.posted].count(GONE) == 1
    assert (await bot.services.schedules.get(GONE)).failing is None


@pytest.mark.parametrize(
    ("status", "permanent"), [(429, False), (500, False), (503, False), (403, True), (404, True)]
)
async def test_discord_http_errors_map_to_the_right_kind_of_post_failure(
    status: int, permanent: bool
) -> None:
    """A 429 that reaches the adapter (discord.py gave up waiting it out) must
    be retried like an outage, not mark the channel as broken."""
    with pytest.raises(PostFailed) as failed:
        async with delivering("post the daily question"):
            raise http_error(status)
    assert failed.value.permanent is permanent
    if not permanent:
        assert str(status) in failed.value.reason


async def test_a_429_from_discord_is_retried_not_marked_broken(
    store_target: Path | str, traveller: time_machine.Traveller
) -> None:
    """End to end through the real client with only REST faked: a rate-limited
    post leaves a retry job and succeeds on the retry."""
    harness = FaultHarness(store_target, traveller, retry_post_after=RETRY_AFTER)
    world = DiscordWorld(harness)
    await harness.start()
    here = channel_ref(GUILD_ID, CHANNEL_ID)
    route = ("POST", f"/channels/{CHANNEL_ID}/messages")
    try:
        await world.command(
            "daily setup",
            permissions=MANAGER,
            channel=CHANNEL_ID,
            time_of_day="09:00",
            timezone="UTC",
        )
        world.fake.fail[route] = http_error(429, "You are being rate limited.")
        await harness.move_to(NINE)
        schedule = await harness.services.schedules.get(here)
        assert schedule.failing is not None and "429" in schedule.failing
        assert world.fake.sent() == [] and not schedule.paused
        del world.fake.fail[route]
        await harness.move_to(NINE + RETRY_AFTER)
        assert len(world.fake.sent()) == 1
        assert (await harness.services.schedules.get(here)).failing is None
    finally:
        if world.client is not None:
            await world.client.close()
        await harness.stop()


async def test_an_unexpected_platform_error_does_not_strand_the_round(bot: FaultHarness) -> None:
    platform = bot.platform
    assert isinstance(platform, PerChannelPlatform)
    platform.failures[GONE] = RuntimeError("bug in the adapter")  # type: ignore[assignment]
    for where in (GONE, HEALTHY[0]):
        await bot.services.schedules.setup(where, at="09:00", timezone="UTC", reveal_after="30m")
    await bot.move_to(NINE)
    assert bot.runtime is not None
    # Dropped like a clean failure, explained, and retried like an outage.
    assert [r.channel for r in await bot.runtime.store.unrevealed_rounds()] == [HEALTHY[0]]
    gone = await bot.services.schedules.get(GONE)
    assert gone.failing == UNEXPECTED_POST_ERROR
    jobs = {job.id for job in bot.runtime.scheduler.get_jobs()}
    assert f"retry:{gone.id}" in jobs

    await bot.move_to(NINE + timedelta(hours=3))
    # Never left unrevealed while the bot keeps running; retried only within grace.
    assert await bot.runtime.store.unrevealed_rounds() == []
    attempts = platform.attempts[GONE]
    assert attempts[0] == NINE and len(attempts) > 1
    assert all(at - NINE <= timedelta(hours=1) for at in attempts)  # type: ignore[operator]
    assert not any(job.id.startswith("retry:") for job in bot.runtime.scheduler.get_jobs())
    assert [r.channel for r in platform.posted] == [HEALTHY[0]]
    assert [s.round.channel for s in platform.reveals] == [HEALTHY[0]]
