"""/remind: a private message on days with cards due, at most one a day, with
the real APScheduler on a controlled clock, across restarts and daylight saving."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM
from bot.core.errors import UserError
from bot.core.models import UserRef
from bot.core.ports import PostFailed
from bot.core.reminders import Reminder
from bot.core.timeutil import parse_time_of_day, parse_timezone
from tests.helpers import CHANNEL, Harness, user

ALICE, BOB = user("alice"), user("bob")


async def due_card(bot: Harness, who: UserRef) -> None:
    """``who`` gets a drill question wrong: its card is due again within minutes,
    and stays due until it is reviewed."""
    session = await bot.services.drills.start(who, CHANNEL.space_key, topic="evaluation", count=1)
    question = session.questions[0]
    wrong = next(letter for letter in question.letters() if letter != question.answer)
    await bot.services.drills.answer(session.id, who, 0, wrong)
    soon = bot.now + timedelta(minutes=30)
    assert await bot.services.reminders.store.due_card_count(who, soon) == 1


async def reminder_of(bot: Harness, who: UserRef) -> Reminder:
    found = await bot.services.reminders.get(who)
    assert found is not None
    return found


def job_ids(bot: Harness) -> set[str]:
    assert bot.runtime is not None
    return {job.id for job in bot.runtime.scheduler.get_jobs()}


def sent_to(bot: Harness) -> list[str]:
    return [who.external_id for who, _ in bot.platform.private]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_sent_once_a_day_and_only_when_cards_are_due(bot: Harness) -> None:
    await due_card(bot, ALICE)
    for who in (ALICE, BOB):  # bob has no cards at all
        await bot.services.reminders.enable(who, "09:00", "UTC")
    await bot.move_to(utc(2026, 11, 23, 8, 59))
    assert sent_to(bot) == []
    await bot.move_to(utc(2026, 11, 23, 9, 0))
    assert sent_to(bot) == ["alice"]
    text = bot.platform.private[0][1]
    assert "1 card is due" in text and "/review" in text and "/remind off" in text
    # The job again the same day (a repeat, a second process) sends nothing.
    alice = await reminder_of(bot, ALICE)
    assert alice.last_sent == bot.now.date()
    assert not await bot.services.reminders.send_due(alice.user_id, utc(2026, 11, 23, 9, 30))
    # Off and on again, even at a later time, is still the same day.
    await bot.services.reminders.disable(ALICE)
    await bot.services.reminders.enable(ALICE, "11:00")
    await bot.move_to(utc(2026, 11, 23, 23, 0))
    assert sent_to(bot) == ["alice"]
    await bot.move_to(utc(2026, 11, 25, 12, 0))  # the card is still due on both days
    assert sent_to(bot) == ["alice"] * 3
    assert (await reminder_of(bot, BOB)).last_sent is None


async def test_no_message_once_nothing_is_due(bot: Harness) -> None:
    await bot.services.reminders.enable(ALICE, "09:00", "UTC")
    await bot.move_to(utc(2026, 11, 24, 12, 0))
    assert sent_to(bot) == []
    # Nothing was claimed either, so a card due later can still bring one.
    assert (await reminder_of(bot, ALICE)).last_sent is None


async def test_not_twice_across_a_restart(bot: Harness) -> None:
    await due_card(bot, ALICE)
    await bot.services.reminders.enable(ALICE, "09:00", "UTC")
    await bot.move_to(utc(2026, 11, 23, 9, 0))
    assert len(sent_to(bot)) == 1
    await bot.restart(at=utc(2026, 11, 23, 9, 10))  # within the late grace: already sent
    await bot.move_to(utc(2026, 11, 23, 20, 0))
    assert len(sent_to(bot)) == 1
    user_id = (await reminder_of(bot, ALICE)).user_id
    assert f"remind:{user_id}" in job_ids(bot)  # rebuilt from the database
    # Down over the next day's time and back within the grace: sent late, once.
    await bot.restart(at=utc(2026, 11, 24, 9, 20))
    assert len(sent_to(bot)) == 2
    await bot.restart(at=utc(2026, 11, 24, 9, 40))
    await bot.move_to(utc(2026, 11, 24, 20, 0))
    assert len(sent_to(bot)) == 2
    # Back only after the grace: that day is skipped, the next one is not.
    await bot.restart(at=utc(2026, 11, 25, 10, 30))
    assert len(sent_to(bot)) == 2
    await bot.move_to(utc(2026, 11, 26, 9, 0))
    assert len(sent_to(bot)) == 3


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Spring forward, Sunday 29 March 2026: 02:30 does not exist in Berlin,
        # so that day's reminder comes at 03:00 CEST, the end of the gap.
        (
            utc(2026, 3, 27, 12, 0),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)],
        ),
        # Fall back, Sunday 25 October 2026: 02:30 happens twice (00:30 and
        # 01:30 UTC); the reminder comes at the first and not at the second.
        (
            utc(2026, 10, 23, 12, 0),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_one_reminder_a_day_across_daylight_saving(
    tmp_path: Path, traveller: time_machine.Traveller, start: datetime, expected: list[datetime]
) -> None:
    traveller.move_to(start)
    bot = await Harness(tmp_path / "bot.sqlite3", traveller).start()
    try:
        await due_card(bot, ALICE)
        await bot.services.reminders.enable(ALICE, "02:30", "Europe/Berlin")
        for count, instant in enumerate(expected, start=1):
            await bot.move_to(instant - timedelta(minutes=1))
            assert len(sent_to(bot)) == count - 1, instant
            await bot.move_to(instant)
            assert len(sent_to(bot)) == count, instant
        await bot.move_to(expected[-1] + timedelta(hours=12))
        assert len(sent_to(bot)) == len(expected)
        days = (await reminder_of(bot, ALICE)).last_sent
        assert days == expected[-1].astimezone(parse_timezone("Europe/Berlin")).date()
    finally:
        await bot.stop()


async def test_blocked_direct_messages_switch_the_reminder_off_quietly(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await due_card(bot, ALICE)
    await bot.services.reminders.enable(ALICE, "09:00", "UTC")
    user_id = (await reminder_of(bot, ALICE)).user_id
    bot.platform.fail_private = PostFailed(
        "Discord user alice does not accept direct messages", permanent=True, code="dm_refused"
    )
    with caplog.at_level(logging.INFO, logger="bot.core.reminders"):
        await bot.move_to(utc(2026, 11, 23, 9, 0))
    assert sent_to(bot) == []
    assert not (await reminder_of(bot, ALICE)).enabled
    assert f"remind:{user_id}" not in job_ids(bot)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.core.reminders"]
    assert lines == [
        "daily reminder for test user alice switched off: "
        "Discord user alice does not accept direct messages"
    ]
    bot.platform.fail_private = None
    await bot.restart(at=utc(2026, 11, 24, 8, 0))  # stays off after a restart too
    await bot.move_to(utc(2026, 11, 25, 12, 0))
    assert sent_to(bot) == []
    assert f"remind:{user_id}" not in job_ids(bot)


async def test_a_transient_failure_gives_the_day_back_and_tries_again(bot: Harness) -> None:
    await due_card(bot, ALICE)
    await bot.services.reminders.enable(ALICE, "09:00", "UTC")
    user_id = (await reminder_of(bot, ALICE)).user_id
    bot.platform.fail_private = PostFailed("timed out", permanent=False, code="network")
    await bot.move_to(utc(2026, 11, 23, 9, 0))
    assert sent_to(bot) == [] and (await reminder_of(bot, ALICE)).last_sent is None
    assert f"remind-retry:{user_id}" in job_ids(bot)
    bot.platform.fail_private = None
    await bot.move_to(utc(2026, 11, 23, 9, 5))
    assert sent_to(bot) == ["alice"]
    await bot.move_to(utc(2026, 11, 23, 23, 0))
    assert sent_to(bot) == ["alice"]


async def test_time_and_zone_are_read_like_daily_setup(bot: Harness) -> None:
    reminders = bot.services.reminders
    first = await reminders.enable(ALICE)
    assert (first.at, first.timezone) == (parse_time_of_day("09:00"), "UTC")
    moved = await reminders.enable(ALICE, timezone="Europe/Berlin")
    assert (moved.at, moved.timezone) == (parse_time_of_day("9:00"), "Europe/Berlin")
    later = await reminders.enable(ALICE, "7:15pm")
    assert (later.at, later.timezone) == (parse_time_of_day("19:15"), "Europe/Berlin")
    assert reminders.next_reminder(later) == utc(2026, 11, 23, 18, 15)
    for bad_time in ("25:00", "noon"):
        with pytest.raises(UserError) as caught:
            await reminders.enable(ALICE, bad_time)
        with pytest.raises(UserError) as same:
            await bot.services.schedules.setup(CHANNEL, at=bad_time)
        assert str(caught.value) == str(same.value)
    with pytest.raises(UserError, match="not an IANA time zone"):
        await reminders.enable(ALICE, "08:00", "Mars/Base")
    await reminders.disable(ALICE)
    with pytest.raises(UserError, match="already off"):
        await reminders.disable(ALICE)
    assert reminders.next_reminder(await reminder_of(bot, ALICE)) is None


async def test_the_reminder_is_in_the_export_and_erased_with_the_rest(bot: Harness) -> None:
    await bot.services.reminders.enable(ALICE, "08:30", "Europe/Berlin")
    data = await bot.services.privacy.export(ALICE)
    assert data["reminders"] == [
        {
            "time": "08:30",
            "timezone": "Europe/Berlin",
            "enabled": 1,
            "last_sent": None,
            "updated_at": "2026-11-23T08:00:00.000000+00:00",
        }
    ]
    assert (await bot.services.privacy.export(BOB))["reminders"] == []
    erased = await bot.services.privacy.delete(ALICE)
    assert erased.rows["reminders"] == 1
    assert await bot.services.reminders.get(ALICE) is None
    # The job left behind finds no reminder, sends nothing and removes itself.
    await bot.move_to(utc(2026, 11, 24, 12, 0))
    assert sent_to(bot) == [] and not any(j.startswith("remind") for j in job_ids(bot))


async def test_the_terminal_commands(bot: Harness) -> None:
    lines: list[str] = []
    assert bot.runtime is not None
    bot.runtime.platforms[PLATFORM] = TerminalPlatform(lines.append)
    console = Console(bot.runtime.services, lines.append, user_name="alice")

    async def say(line: str) -> str:
        lines.clear()
        assert await console.handle(line)
        return "\n".join(lines)

    assert "reminder is off" in await say("/remind")
    out = await say("/remind on 08:30 Europe/Berlin")
    assert "daily reminder on: 08:30 Europe/Berlin (next: 2026-11-24 08:30 CET)" in out
    assert "08:30 Europe/Berlin" in await say("/remind")
    assert "usage: /remind on [HH:MM] [TIMEZONE]" in await say("/remind sometimes")
    assert "'25:99' is not a time of day" in await say("/remind on 25:99")
    assert "daily reminder off" in await say("/remind off")
    assert "already off" in await say("/remind off")
    # A due card at the terminal: the message is printed for that user.
    await say("/remind on 9:00 UTC")
    terminal_alice = UserRef(PLATFORM, "alice", "alice")
    await due_card(bot, terminal_alice)
    lines.clear()
    await bot.move_to(utc(2026, 11, 23, 9, 0))
    assert any(line.startswith("[to alice] 1 card is due") for line in lines)
