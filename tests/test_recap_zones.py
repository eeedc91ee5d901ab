"""One weekly-recap job per time zone serves every schedule in that zone.

A job per schedule doubled the jobs rebuilt at start-up; the zone job must
still give each channel its own recap at its own Monday midnight, skip the
paused and recap-off ones, and keep going when one channel fails.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.models import ChannelRef, Recap
from tests.helpers import CHANNEL, OTHER_CHANNEL, Harness, RecordingPlatform

THIRD = ChannelRef("test", "space-1", "chan-3")
NEW_YORK = ChannelRef("test", "space-2", "chan-ny")
BROKEN = ChannelRef("test", "space-2", "chan-broken")


class OneBrokenChannel(RecordingPlatform):
    async def post_recap(self, recap: Recap) -> None:
        if recap.channel == BROKEN:
            raise RuntimeError("adapter bug")
        await super().post_recap(recap)


def recap_jobs(bot: Harness) -> list[str]:
    assert bot.runtime is not None
    return sorted(j.id for j in bot.runtime.scheduler.get_jobs() if j.id.startswith("recap:"))


async def test_each_zone_has_one_recap_job_that_serves_all_its_channels(
    tmp_path, traveller, caplog
):
    bot = Harness(tmp_path / "bot.sqlite3", traveller)
    bot.platform = OneBrokenChannel()
    await bot.start()
    try:
        schedules = bot.services.schedules
        for channel in (CHANNEL, OTHER_CHANNEL, THIRD):
            await schedules.setup(channel, at="09:00", timezone="Europe/Berlin")
        for channel in (BROKEN, NEW_YORK):
            await schedules.setup(channel, at="09:00", timezone="America/New_York")
        await schedules.set_paused(THIRD, True)
        assert recap_jobs(bot) == ["recap:America/New_York", "recap:Europe/Berlin"]

        # Every channel plays its daily rounds through the week of 2026-11-23.
        await bot.move_to(datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
        await bot.move_to(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))  # Berlin Monday 01:30
        assert [r.channel for r in bot.platform.recaps] == [CHANNEL, OTHER_CHANNEL]

        await bot.move_to(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))  # New York Monday 01:00
        assert [r.channel for r in bot.platform.recaps][2:] == [NEW_YORK]
        failed = [r for r in caplog.records if "weekly recap for schedule" in r.getMessage()]
        assert len(failed) == 1 and failed[0].exc_info is not None  # logged, others served

        # A restart rebuilds one job per zone again, and posts nothing twice.
        await bot.restart()
        assert recap_jobs(bot) == ["recap:America/New_York", "recap:Europe/Berlin"]
        assert len(bot.platform.recaps) == 3
    finally:
        await bot.stop()


async def test_a_zone_job_with_no_schedules_left_does_nothing(bot: Harness) -> None:
    await bot.services.schedules.setup(CHANNEL, at="09:00", timezone="Asia/Tokyo")
    await bot.move_to(datetime(2026, 11, 25, 0, 0, tzinfo=UTC))
    await bot.services.schedules.remove(CHANNEL)
    assert recap_jobs(bot) == ["recap:Asia/Tokyo"]
    assert await bot.services.recaps.post_zone_recaps("Asia/Tokyo") == 0
    await bot.move_to(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert bot.platform.recaps == []
