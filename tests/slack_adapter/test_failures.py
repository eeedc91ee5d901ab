"""Slack refusing, throttling or failing: logged, survived, and shown to admins."""

from __future__ import annotations

import random
from datetime import timedelta

import aiohttp
import pytest

from bot.adapters.slack.ids import channel_ref
from bot.adapters.slack.platform import ChannelPacer, delivering
from bot.core.ports import PostFailed
from tests.slack_adapter.fake_api import (
    ADMIN,
    BOT_USER,
    CHANNEL,
    MEMBER,
    OTHER_CHANNEL,
    TEAM,
    Failure,
)
from tests.slack_adapter.world import SlackWorld, text_of

HERE = channel_ref(TEAM, CHANNEL)


async def scheduled(world: SlackWorld) -> None:
    await world.command("daily setup 09:30 Europe/Berlin", user=ADMIN)


async def test_a_rate_limited_post_is_retried_after_retry_after(
    world: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slack_sdk adds up to a second of jitter to Retry-After; none in a test.
    monkeypatch.setattr(random, "random", lambda: 0.0)
    await scheduled(world)
    world.fake.fail("chat.postMessage", Failure("ratelimited", 429, {"Retry-After": "0"}))
    await world.harness.advance(timedelta(minutes=30))
    assert len(world.fake.of("chat.postMessage")) == 2  # refused once, then sent
    round_ = await world.harness.services.rounds.open_round(HERE)
    assert round_ is not None and round_.message_id is not None
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.failing is None


@pytest.mark.parametrize(
    "code",
    [
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "token_revoked",
        "missing_scope",
    ],
)
async def test_a_permanent_error_marks_the_schedule_failing(world: SlackWorld, code: str) -> None:
    await scheduled(world)
    world.fake.fail("chat.postMessage", Failure(code))
    await world.harness.advance(timedelta(minutes=30))
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.failing is not None and code in schedule.failing
    jobs = {job.id for job in world.harness.runtime.scheduler.get_jobs()}
    assert f"retry:{schedule.id}" not in jobs  # waiting for a person, not retrying
    assert await world.harness.services.rounds.open_round(HERE) is None
    shown = await world.command("daily show", user=MEMBER)
    assert "Problem" in text_of(shown) and code in text_of(shown)


async def test_a_server_error_is_retried_later(world: SlackWorld) -> None:
    await scheduled(world)
    world.fake.fail("chat.postMessage", Failure("fatal_error", 503))
    await world.harness.advance(timedelta(minutes=30))
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.failing is not None and "fatal_error" in schedule.failing
    assert await world.harness.services.rounds.open_round(HERE) is None
    await world.harness.advance(timedelta(minutes=5))  # game.retry_post_after
    assert await world.harness.services.rounds.open_round(HERE) is not None
    assert (await world.harness.services.schedules.get(HERE)).failing is None


async def test_a_failed_reveal_update_still_posts_the_answer(world: SlackWorld) -> None:
    await world.command("daily now", user=ADMIN)
    world.fake.fail("chat.update", Failure("message_not_found"))
    await world.command("daily reveal", user=ADMIN)
    reveal = world.fake.of("chat.postMessage")[-1]
    assert "Answer to question" in text_of(reveal)


async def test_network_errors_are_transient() -> None:
    with pytest.raises(PostFailed) as failed:
        async with delivering("post"):
            raise aiohttp.ClientConnectionError("reset")
    assert not failed.value.permanent
    with pytest.raises(PostFailed) as timed_out:
        async with delivering("post"):
            raise TimeoutError
    assert not timed_out.value.permanent


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"type": "channel_archive", "channel": CHANNEL, "user": MEMBER}, "archived"),
        ({"type": "group_archive", "channel": CHANNEL}, "archived"),
        ({"type": "channel_deleted", "channel": CHANNEL}, "deleted"),
        ({"type": "channel_left", "channel": CHANNEL, "actor_id": MEMBER}, "removed"),
        (
            {"type": "member_left_channel", "channel": CHANNEL, "user": BOT_USER, "team": TEAM},
            "removed",
        ),
        ({"type": "app_uninstalled"}, "uninstalled"),
        ({"type": "tokens_revoked", "tokens": {"bot": [BOT_USER]}}, "revoked"),
    ],
)
async def test_workspace_events_pause_the_schedules_they_affect(
    world: SlackWorld, event: dict[str, object], reason: str
) -> None:
    await scheduled(world)
    await world.command(f"daily setup 10:00 UTC <#{OTHER_CHANNEL}|x>", user=ADMIN)
    response = await world.event(event)
    assert response.status == 200
    schedule = await world.harness.services.schedules.get(HERE)
    assert schedule.paused and schedule.failing is not None and reason in schedule.failing
    other = await world.harness.services.schedules.get(channel_ref(TEAM, OTHER_CHANNEL))
    whole_workspace = event["type"] in {"app_uninstalled", "tokens_revoked"}
    assert other.paused is whole_workspace
    # Nothing is posted in a paused channel.
    await world.harness.advance(timedelta(days=1))
    posted = {p["channel"] for p in world.fake.of("chat.postMessage")}
    assert posted == (set() if whole_workspace else {OTHER_CHANNEL})


async def test_someone_else_leaving_a_channel_changes_nothing(world: SlackWorld) -> None:
    await scheduled(world)
    await world.event({"type": "member_left_channel", "channel": CHANNEL, "user": MEMBER})
    await world.event({"type": "tokens_revoked", "tokens": {"oauth": [MEMBER]}})
    assert not (await world.harness.services.schedules.get(HERE)).paused


async def test_the_pacer_spaces_posts_in_one_channel_only() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    async with pacer.turn("C1"):
        pass
    async with pacer.turn("C2"):
        pass
    assert slept == []
    now[0] += 0.25
    async with pacer.turn("C1"):
        pass
    assert slept == [0.75]
