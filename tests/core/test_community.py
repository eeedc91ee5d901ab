"""Group names and report reasons: nothing that pings people or breaks formatting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.community import GROUP_NAME_MAX, REASON_MAX, clean_group_name, clean_reason
from bot.core.errors import UserError

ALLOWED = "letters, digits, spaces and . ' - only"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ML Study-Group 1", "ML Study-Group 1"),
        ("  ML   Study\tGroup  ", "ML Study Group"),
        ("Ops", "Ops"),
        ("ab", "ab"),
        ("O'Neil's crew", "O'Neil's crew"),
        ("v2.0-team", "v2.0-team"),
        ("Équipe Zürich", "Équipe Zürich"),
        ("ＭＬ Ｇｒｏｕｐ", "ML Group"),  # fullwidth letters are normalised (NFKC)
        ("x" * GROUP_NAME_MAX, "x" * GROUP_NAME_MAX),
    ],
)
def test_clean_group_name_accepts(text: str, expected: str) -> None:
    assert clean_group_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "@everyone",
        "@here",
        "team @everyone",
        "**bold**",
        "*x*",
        "`code`",
        "~~gone~~",
        "||spoiler||",
        "> quote",
        "# heading",
        "<@123>",
        "<@&456> fans",
        "<#789>",
        "ML\u200bGroup",  # zero-width space
        "ML\u200dGroup",  # zero-width joiner
        "ML\ufeffGroup",  # zero-width no-break space
        "ML\u202eGroup",  # right-to-left override
        "[link](http://x)",
        "-dash first",
        ".dot first",
        "a/b",
        "emoji 🎉",
    ],
)
def test_clean_group_name_refuses_pings_and_formatting(text: str) -> None:
    with pytest.raises(UserError) as info:
        clean_group_name(text)
    assert ALLOWED in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "a", " b ", "x" * (GROUP_NAME_MAX + 1)])
def test_clean_group_name_refuses_bad_length(text: str) -> None:
    with pytest.raises(UserError) as info:
        clean_group_name(text)
    assert f"2 to {GROUP_NAME_MAX} characters" in str(info.value)


def test_clean_group_name_counts_length_after_collapsing_spaces() -> None:
    name = "a" + " " * 40 + "b"
    assert clean_group_name(name) == "a b"


@given(st.text(max_size=60))
@settings(database=None)
def test_clean_group_name_result_is_safe(text: str) -> None:
    try:
        name = clean_group_name(text)
    except UserError:
        return
    assert 2 <= len(name) <= GROUP_NAME_MAX
    assert name == name.strip() and "  " not in name
    for bad in ("@", "<", ">", "*", "`", "~", "|", "#", "\u200b", "\n"):
        assert bad not in name
    assert clean_group_name(name) == name  # idempotent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wrong answer", "wrong answer"),
        ("  the   answer is b  ", "the answer is b"),
        ("typo\u200b in option c", "typo in option c"),
        ("bell\x07 and null\x00 removed", "bell and null removed"),
        ("abc", "abc"),
        ("x" * REASON_MAX, "x" * REASON_MAX),
    ],
)
def test_clean_reason_accepts(text: str, expected: str) -> None:
    assert clean_reason(text) == expected


@pytest.mark.parametrize("text", ["", "ab", "  a  ", "\u200b\u200b\u200b", "x" * (REASON_MAX + 1)])
def test_clean_reason_refuses_bad_length(text: str) -> None:
    with pytest.raises(UserError) as info:
        clean_reason(text)
    assert f"3 to {REASON_MAX} characters" in str(info.value)


def test_clean_reason_keeps_words_apart_across_newlines() -> None:
    assert clean_reason("first line\nsecond line\tthird") == "first line second line third"


@given(st.text(max_size=400))
@settings(database=None)
def test_clean_reason_result_has_no_control_characters(text: str) -> None:
    try:
        reason = clean_reason(text)
    except UserError:
        return
    assert 3 <= len(reason) <= REASON_MAX
    assert reason == reason.strip()
    assert not any(c in reason for c in "\x00\x07\u200b\u202e\ufeff")
