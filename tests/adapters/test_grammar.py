"""The typed command grammar shared by the terminal and Slack."""

from __future__ import annotations

import pytest

from bot.adapters import grammar
from bot.core.errors import UserError
from bot.core.models import Period, Scope


def test_drill_words_in_any_order() -> None:
    assert grammar.parse_drill(["7", "HARD", "ensembles"]) == grammar.DrillArgs(
        "ensembles", "hard", "7"
    )
    assert grammar.parse_drill([]) == grammar.DrillArgs()


@pytest.mark.parametrize(
    "words", [["a", "b"], ["5", "6"], ["easy", "hard", "x", "y"], ["hard", "hard", "x", "y"]]
)
def test_a_drill_with_two_of_a_kind_shows_its_usage(words: list[str]) -> None:
    with pytest.raises(UserError, match=r"usage: /drill \[TOPIC\]"):
        grammar.parse_drill(words)


def test_setup_takes_a_time_a_zone_and_named_options() -> None:
    parsed = grammar.parse_setup(
        ["09:30", "Europe/Berlin", "reveal=30m", "Days=weekdays", "topics=a,b", "difficulty=hard"]
    )
    assert parsed == grammar.SetupArgs("09:30", "Europe/Berlin", "30m", "weekdays", "a,b", "hard")
    assert grammar.parse_setup(["9:00", "tz=UTC", "reveal-after=1h"]).timezone == "UTC"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "usage: /daily setup TIME"),
        (["09:00", "UTC", "extra"], "usage: /daily setup TIME"),
        (["09:00", "colour=red"], "unknown option colour"),
    ],
)
def test_setup_errors_say_what_is_allowed(words: list[str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        grammar.parse_setup(words)


def test_leaderboard_words() -> None:
    assert grammar.parse_leaderboard([]) == grammar.LeaderboardArgs()
    parsed = grammar.parse_leaderboard(["month", "group", "Tensor", "Tigers"])
    assert parsed == grammar.LeaderboardArgs(Period.MONTH, Scope.GROUP, "Tensor Tigers")
    assert grammar.parse_leaderboard(["all", "groups"]).groups
    with pytest.raises(UserError, match="not a period or scope"):
        grammar.parse_leaderboard(["yearly"])


def test_group_report_daily_and_switch() -> None:
    assert grammar.parse_group(["JOIN", "Tensor", "Tigers"]) == grammar.GroupArgs(
        "join", "Tensor Tigers"
    )
    assert grammar.parse_group(["leaderboard", "month"]).period is Period.MONTH
    with pytest.raises(UserError, match="usage: /group leave NAME"):
        grammar.parse_group(["leave"])
    with pytest.raises(UserError, match="unknown /group subcommand 'dance'"):
        grammar.parse_group(["dance"])
    assert grammar.parse_report(["q-1", "the", "key", "is", "wrong"]) == ("q-1", "the key is wrong")
    with pytest.raises(UserError, match="usage: /report"):
        grammar.parse_report(["q-1"])
    assert grammar.parse_daily(["Now", "x"]) == ("now", ["x"])
    with pytest.raises(UserError, match="unknown /daily subcommand 'launch'"):
        grammar.parse_daily(["launch"])
    assert grammar.parse_switch(["OFF"], "usage") is False
    with pytest.raises(UserError, match="usage: x"):
        grammar.parse_switch([], "usage: x")


def test_quotes_keep_words_together_and_unbalanced_ones_are_refused() -> None:
    assert grammar.split_words('group create "Tensor Tigers"') == [
        "group",
        "create",
        "Tensor Tigers",
    ]
    with pytest.raises(UserError, match="unbalanced quotes"):
        grammar.split_words('group create "Tensor')


def test_remind_words() -> None:
    assert grammar.parse_remind([]) == grammar.RemindArgs("show")
    assert grammar.parse_remind(["OFF"]) == grammar.RemindArgs("off")
    assert grammar.parse_remind(["on"]) == grammar.RemindArgs("on")
    on = grammar.RemindArgs("on", "08:30", "Europe/Berlin")
    assert grammar.parse_remind(["on", "08:30", "Europe/Berlin"]) == on
    assert grammar.parse_remind(["on", "Europe/Berlin", "08:30"]) == on  # either order
    assert grammar.parse_remind(["on", "UTC"]) == grammar.RemindArgs("on", None, "UTC")


@pytest.mark.parametrize(
    "words", [["maybe"], ["off", "now"], ["on", "9:00", "10:00"], ["on", "UTC", "GMT"], ["on"] * 4]
)
def test_remind_errors_show_the_usage(words: list[str]) -> None:
    with pytest.raises(UserError, match=r"usage: /remind on \[HH:MM\] \[TIMEZONE\]"):
        grammar.parse_remind(words)
