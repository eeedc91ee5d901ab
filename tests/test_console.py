"""The terminal adapter, driven through its input and output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM
from tests.helpers import Harness

REPO = Path(__file__).parents[1]


class Screen:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)

    def take(self) -> str:
        text = "\n".join(self.lines)
        self.lines.clear()
        return text


@pytest.fixture
async def console(bot: Harness, tmp_path: Path) -> tuple[Console, Screen]:
    screen = Screen()
    assert bot.runtime is not None
    bot.runtime.platforms[PLATFORM] = TerminalPlatform(screen.write)
    console = Console(bot.runtime.services, screen.write, user_name="alice", chart_dir=tmp_path)
    return console, screen


async def say(console: Console, screen: Screen, *lines: str) -> str:
    for line in lines:
        assert await console.handle(line)
    return screen.take()


async def test_two_users_play_a_round(console: tuple[Console, Screen], bot: Harness) -> None:
    con, screen = console
    out = await say(con, screen, "/daily setup 09:30 Europe/Berlin reveal=45m days=weekdays")
    assert "09:30 Europe/Berlin on weekdays" in out and "45m" in out
    out = await say(con, screen, "/daily now")
    assert "Daily question #1" in out and "question id:" in out
    round_ = await bot.services.rounds.open_round(con.channel)
    right = round_.question.answer
    wrong = next(letter for letter in round_.question.letters() if letter != right)
    assert "Locked in: " + right in await say(con, screen, right)
    assert "already answered" in await say(con, screen, wrong)
    assert "now bob" in await say(con, screen, "/as bob")
    assert "Locked in" in await say(con, screen, wrong)
    out = await say(con, screen, "/daily reveal")
    assert "Reveal #1" in out and f"Correct answer: {right})" in out and "50% correct" in out
    assert "First correct: alice" in out
    out = await say(con, screen, "/leaderboard")
    assert out.index("alice") < out.index("bob")
    assert "current streak 1" in await say(con, screen, "/streak")
    assert "all  : 15 pts, rank 1" in await say(con, screen, "/stats alice")
    assert "no open question" in await say(con, screen, right)


async def test_a_drill_in_the_terminal(console: tuple[Console, Screen], bot: Harness) -> None:
    con, screen = console
    out = await say(con, screen, "/drill evaluation easy 3")
    assert "Drill 1/1 · evaluation · easy" in out  # the pool holds one easy question
    session = await bot.services.drills.store.get_drill(1)
    right = session.questions[0].answer
    out = await say(con, screen, right)
    assert "Correct!" in out and "Drill finished: 1 of 1 right." in out
    assert "no open question" in await say(con, screen, right)  # letters go back to rounds
    await say(con, screen, "/drill 2")
    assert "you are now bob" in await say(con, screen, "/as bob")
    assert "not in a drill" in await say(con, screen, "/drill stop")
    assert "private practice" in await say(con, screen, "/stats alice")  # not bob's to see
    await say(con, screen, "/as alice")
    assert "drills: 1/1 correct" in await say(con, screen, "/stats")
    assert "1 to 20" in await say(con, screen, "/drill 99")
    assert "usage: /drill" in await say(con, screen, "/drill evaluation ensembles")


async def lines(*typed: str) -> AsyncIterator[str]:
    for line in typed:
        yield line


async def test_a_review_with_a_flashcard_in_the_terminal(
    console: tuple[Console, Screen], bot: Harness
) -> None:
    con, screen = console
    out = await say(con, screen, "/review 3")
    # A new user: both topics untried, taken in turn by name; ensembles mixes
    # its flashcard in after a choice question.
    assert "Review of 3: 0 due, 3 new. 0 cards due now" in out
    assert "── Review 1/3 · ensembles" in out and "Answer with a/b/c/d" in out
    assert con.review is not None
    first = con.review.items[0].question
    assert f"Correct! The answer is {first.answer})" in await say(con, screen, first.answer)
    second = con.review.items[1].question
    out = await say(con, screen, "e")  # four options: e is no answer
    assert "'e' is not an option here; choose one of a, b, c, d" in out
    out = await say(con, screen, "b" if second.answer != "b" else "a")
    assert "Not quite (you chose" in out and "Counted as again" in out
    assert "comes back in 1 minute" in out
    assert "── Review 3/3 · flashcard · ensembles" in out and "type show (or press Enter)" in out
    assert "show the answer first" in await say(con, screen, "good")
    await con.run(lines("", "3"))  # Enter turns it over; 3 is Good
    out = screen.take()
    assert "Model answer: A model answer of enough length." in out
    assert "again, hard, good or easy" in out
    assert "Graded good; this card comes back in 10 minutes." in out
    assert "Review finished: 3 cards, 1 of 2 multiple-choice right; flashcards: good 1." in out
    assert "0 cards due now; the next is due 2026-11-23 08:01 UTC" in out
    assert con.review is None
    assert "no open question" in await say(con, screen, "a")  # letters go back to rounds
    await bot.advance(timedelta(minutes=2))
    out = await say(con, screen, "/review 1")
    assert "Review of 1: 1 due, 0 new. 1 card due now" in out and "due card" in out
    assert "review stopped" in await say(con, screen, "/review stop")


async def test_an_expired_review_in_the_terminal(
    console: tuple[Console, Screen], bot: Harness
) -> None:
    con, screen = console
    await say(con, screen, "/review 2")
    await bot.advance(timedelta(minutes=31))
    out = await say(con, screen, "a")
    assert (
        out
        == "error: this review expired; run /review to start again (your earlier grades are saved)"
    )
    assert con.review is None
    assert "no open question" in await say(con, screen, "a")


async def test_scheduled_reveal_appears_after_the_delay(
    console: tuple[Console, Screen], bot: Harness
) -> None:
    con, screen = console
    await say(con, screen, "/daily now", "a")
    await bot.advance(timedelta(minutes=59))
    assert "Reveal" not in screen.take()
    await bot.advance(timedelta(minutes=1))
    assert "Reveal #1" in screen.take()


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("/daily setup 25:00", "hours are 0-23"),
        ("/daily setup 09:00 Mars/Olympus", "not an IANA time zone"),
        ("/daily setup 09:00 UTC reveal=3d", "between 1 minute and 24 hours"),
        ("/daily setup 09:00 UTC days=someday", "not a list of days"),
        ("/daily setup 09:00 UTC topics=astrology", "unknown topic astrology"),
        ("/daily setup 09:00 UTC difficulty=brutal", "not a difficulty"),
        ("/daily setup 09:00 UTC colour=red", "unknown option colour"),
        ("/daily setup", "usage: /daily setup"),
        ("/daily show", "no daily question yet"),
        ("/daily launch", "unknown /daily subcommand"),
        ("/daily reveal", "no open round"),
        ("/frobnicate", "unknown command /frobnicate"),
        ("hello", "single letter"),
        ("a", "no open question"),
        ('/group create "unterminated', "unbalanced quotes"),
        ("/group create <@123>", "letters, digits"),
        ("/group join nobody", "no group called"),
        ("/leaderboard yearly", "not a period or scope"),
        ("/report", "usage: /report"),
        ("/as", "usage: /as"),
        ("/review 0", "a review has 1 to 50 cards"),
        ("/review lots", "usage: /review [COUNT]"),
        ("/review stop", "you are not in a review"),
    ],
)
async def test_bad_input_gets_a_one_line_hint(
    console: tuple[Console, Screen], line: str, hint: str
) -> None:
    con, screen = console
    out = await say(con, screen, line)
    assert hint in out
    assert "Traceback" not in out and len(out.splitlines()) == 1


async def test_groups_topics_reports_and_help(console: tuple[Console, Screen]) -> None:
    con, screen = console
    assert "created group Tensor Tigers" in await say(con, screen, '/group create "Tensor Tigers"')
    await say(con, screen, "/as bob")
    assert "joined Tensor Tigers" in await say(con, screen, "/group join tensor tigers")
    assert "Tensor Tigers (2 members)" in await say(con, screen, "/group list")
    assert "Tensor Tigers" in await say(con, screen, "/leaderboard groups")
    assert "left Tensor Tigers" in await say(con, screen, "/group leave Tensor Tigers")
    assert "evaluation" in await say(con, screen, "/topics")
    assert "report #1 on eval-one" in await say(
        con, screen, "/report eval-one answer key looks wrong"
    )
    assert "eval-one — answer key looks wrong (by bob)" in await say(con, screen, "/daily reports")
    assert "/daily setup" in await say(con, screen, "/help")
    assert not await con.handle("/quit")


def run_cli(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    environ.update({"STUDYBOT_DB": str(tmp_path / "cli.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_piped_console_session_exits_cleanly(tmp_path: Path) -> None:
    script = "/daily now\na\n/as bob\nb\n/daily reveal\n/leaderboard\n/streak\n"
    result = run_cli(["console", "--user", "alice"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert "Locked in: a" in result.stdout and "Locked in: b" in result.stdout
    assert "Reveal #1" in result.stdout and "Leaderboard" in result.stdout
    assert "Traceback" not in result.stderr
    # The data is kept: a second session sees the same leaderboard.
    again = run_cli(["console"], tmp_path, "/leaderboard all\n")
    assert "alice" in again.stdout and "bob" in again.stdout


@pytest.mark.slow
def test_bare_command_runs_the_console(tmp_path: Path) -> None:
    """The README's run command is plain `studybot`, with no subcommand."""
    result = run_cli([], tmp_path, "/daily now\na\n")
    assert result.returncode == 0, result.stderr
    assert "Locked in: a" in result.stdout


@pytest.mark.slow
def test_cli_bank_db_and_config_errors(tmp_path: Path) -> None:
    assert run_cli(["bank", "check", "--strict"], tmp_path).returncode == 0
    stats = run_cli(["bank", "stats"], tmp_path)
    assert stats.returncode == 0 and "evaluation" in stats.stdout
    migrate = run_cli(["db", "migrate"], tmp_path)
    version = re.search(r"schema version (\d+) \(newest (\d+)\)", migrate.stdout)
    assert migrate.returncode == 0 and version and version[1] == version[2]
    assert "no open question reports" in run_cli(["bank", "reports"], tmp_path).stdout
    bad = run_cli(["console"], tmp_path, STUDYBOT_GAME__DEFAULT_TIMEZONE="Nowhere/City")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "game.default_timezone" in bad.stderr and "IANA" in bad.stderr


@pytest.mark.slow
def test_broken_bank_stops_start_up_with_every_problem(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bad.yaml").write_text(
        "topic: evaluation\ndifficulty: easy\nquestions:\n"
        "  - id: bad-one\n    prompt: Which is it, really?\n    choices: [x, y]\n    answer: e\n"
        "    explanation: Long enough explanation text here.\n"
    )
    result = run_cli(["console"], tmp_path, "", STUDYBOT_BANK__EXTRA_DIRS=f'["{pack}"]')
    assert result.returncode == 2
    assert "bad.yaml:7: bad-one: answer:" in result.stderr
    assert "Traceback" not in result.stderr


COMMAND_WORDS = [
    "/daily",
    "setup",
    "show",
    "now",
    "reveal",
    "pause",
    "resume",
    "remove",
    "recap",
    "on",
    "/leaderboard",
    "week",
    "month",
    "all",
    "channel",
    "group",
    "groups",
    "/streak",
    "/stats",
    "/group",
    "create",
    "join",
    "leave",
    "list",
    "mine",
    "/report",
    "/as",
    "/topics",
    "/review",
    "stop",
    "good",
    "again",
    "3",
    "a",
    "b",
    "09:30",
    "25:99",
    "UTC",
    "Europe/Berlin",
    "reveal=1m",
    "days=mon-fri",
    "topics=evaluation",
    "@everyone",
    "<@1>",
    "**x**",
    "\u200b",
    '"',
    "'",
    "eval-one",
    "",
    "\x00",
    "é",
    "x" * 50,
]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(words=st.lists(st.sampled_from(COMMAND_WORDS) | st.text(max_size=12), max_size=6))
async def test_random_input_never_breaks_the_console(
    console: tuple[Console, Screen], words: list[str]
) -> None:
    con, screen = console
    keep_going = await con.handle(" ".join(words))
    out = screen.take()
    assert keep_going
    assert "something went wrong" not in out and "Traceback" not in out


@pytest.mark.parametrize(
    "line",
    [
        "/streak a\x00b",
        "/group create study\x00group",
        "/group join \x00",
        "/report eval-one broken\x00reason",
        "/as x\x00y",
        "/topics \x00",
    ],
)
async def test_a_nul_character_is_refused_or_stored_never_a_crash(
    console: tuple[Console, Screen], line: str
) -> None:
    """PostgreSQL's text cannot hold NUL (SQLite's can): it must not fail a command."""
    con, screen = console
    assert await con.handle(line)
    out = screen.take()
    assert out and "something went wrong" not in out and "Traceback" not in out
