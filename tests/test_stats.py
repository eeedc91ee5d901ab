"""/stats: your own numbers with reviews, mastery and the chart; someone
else's with only what the channel already sees."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM
from bot.core.models import UserRef
from bot.core.stats import PRIVATE_NOTE
from tests.helpers import CHANNEL, Harness, user
from tests.test_charts import check_png
from tests.test_reminders import due_card

ALICE, BOB = user("alice"), user("bob")


def pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


async def test_your_own_stats_hold_everything(bot: Harness) -> None:
    await due_card(bot, ALICE)
    mine = await bot.services.stats.stats(CHANNEL, ALICE)
    assert mine.own and mine.has_chart and mine.drills is not None
    assert (mine.drills.answered, mine.drills.correct) == (1, 0)
    assert mine.progress is not None and mine.progress.cards == 1
    evaluation = next(t for t in mine.progress.topics if t.topic == "evaluation")
    assert (evaluation.answered, evaluation.correct, evaluation.questions) == (1, 0, 3)
    assert mine.chart_title == "Progress — alice"
    # Naming yourself is the same as asking for your own.
    assert (await bot.services.stats.stats(CHANNEL, ALICE, user("Alice"))).own


async def test_someone_elses_stats_hide_drills_and_reviews(bot: Harness) -> None:
    await due_card(bot, ALICE)
    theirs = await bot.services.stats.stats(CHANNEL, BOB, ALICE)
    assert not theirs.own and not theirs.has_chart
    assert theirs.drills is None and theirs.progress is None
    assert [b.period.value for b in theirs.boards] == ["week", "month", "all"]
    assert theirs.streak.user_name == "alice"


async def test_a_new_user_gets_no_empty_chart(bot: Harness) -> None:
    fresh = await bot.services.stats.stats(CHANNEL, BOB)
    assert fresh.own and fresh.progress is not None and not fresh.has_chart


async def test_the_terminal_writes_the_chart_and_prints_its_path(
    bot: Harness, tmp_path: Path
) -> None:
    lines: list[str] = []
    assert bot.runtime is not None
    bot.runtime.platforms[PLATFORM] = TerminalPlatform(lines.append)
    folder = tmp_path / "charts"
    console = Console(bot.runtime.services, lines.append, user_name="alice", chart_dir=folder)

    async def say(line: str) -> str:
        lines.clear()
        assert await console.handle(line)
        return "\n".join(lines)

    assert "Your progress chart appears after your first" in await say("/stats")
    assert pngs(folder) == []
    await due_card(bot, UserRef(PLATFORM, "alice", "alice"))
    out = await say("/stats")
    chart = folder / "studybot-stats-alice.png"
    assert pngs(folder) == [chart]
    assert f"chart: {chart}" in out
    assert "drills: 0/1 correct" in out and "reviews: " in out
    assert "evaluation — 0% mastered (0/3), 0% right" in out
    check_png(chart.read_bytes(), "Progress — alice")
    # bob looks at alice: public numbers only, no file.
    await say("/as bob")
    chart.unlink()
    theirs = await say("/stats alice")
    assert "alice: current streak" in theirs and PRIVATE_NOTE in theirs
    assert "drills:" not in theirs and "reviews:" not in theirs and "chart:" not in theirs
    assert pngs(folder) == []
