"""Which group a typed name means: invisible characters never make a second group.

Creating a group is strict (``clean_group_name`` refuses anything a reader
cannot see), and finding one is forgiving (``group_lookup_name`` drops it), so
"ad\u200bmin" can neither be created next to "admin" nor fail to find it.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.community import GROUP_NAME_MAX, clean_group_name, group_lookup_name
from bot.core.errors import NotFound, UserError
from tests.helpers import Harness, user

SPACE = ("test", "space-1")
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2066", "\x00", "\x07"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("admin", "admin"),
        ("ad\u200bmin", "admin"),
        ("\ufeffadmin\u200d", "admin"),
        ("ad\x00min", "admin"),
        ("\u202eadmin", "admin"),
        ("  Night \t\n Owls  ", "Night Owls"),
        ("Night\u00a0Owls", "Night Owls"),  # NFKC turns a no-break space into a space
        ("ＡＤＭＩＮ", "ADMIN"),
        ("\u200b\u200b", ""),
        ("", ""),
    ],
)
def test_lookup_drops_invisible_characters_and_collapses_spaces(typed: str, expected: str) -> None:
    assert group_lookup_name(typed) == expected


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_creating_a_name_with_invisible_characters_is_refused(invisible: str) -> None:
    with pytest.raises(UserError) as info:
        clean_group_name(f"ad{invisible}min")
    assert "letters, digits, spaces" in str(info.value)


@settings(max_examples=200)
@given(
    text=st.text(max_size=GROUP_NAME_MAX + 5),
    noise=st.lists(st.sampled_from(INVISIBLE), max_size=4),
    data=st.data(),
)
def test_a_valid_name_is_found_however_it_is_typed(
    text: str, noise: list[str], data: st.DataObject
) -> None:
    """Whatever creation accepts, the same name with invisible noise looks up the same."""
    try:
        name = clean_group_name(text)
    except UserError:
        return
    assert group_lookup_name(name) == name
    typed = list(name)
    for char in noise:
        typed.insert(data.draw(st.integers(0, len(typed))), char)
    assert group_lookup_name("".join(typed)).casefold() == name.casefold()


@settings(max_examples=200)
@given(text=st.text())
def test_lookup_names_have_nothing_invisible_and_are_stable(text: str) -> None:
    looked_up = group_lookup_name(text)
    assert looked_up == looked_up.strip() and "  " not in looked_up
    assert not any(unicodedata.category(c) in {"Cf", "Cc"} for c in looked_up)
    assert group_lookup_name(looked_up) == looked_up


async def test_join_and_leave_find_the_group_through_invisible_characters(bot: Harness) -> None:
    groups = bot.services.groups
    alice, bob = user("Alice"), user("Bob")
    made = await groups.create(SPACE, "Admin", alice)

    joined = await groups.join(SPACE, "ad\u200bmin", bob)
    assert joined.id == made.id and joined.name == "Admin"
    left = await groups.leave(SPACE, "\ufeffＡＤＭＩＮ\u202e", bob)
    assert left.id == made.id

    with pytest.raises(UserError):
        await groups.create(SPACE, "ad\u200bmin", bob)
    with pytest.raises(UserError, match="already exists"):
        await groups.create(SPACE, "ＡＤＭＩＮ", bob)
    assert [g.name for g in await groups.in_space(SPACE)] == ["Admin"]


async def test_a_name_of_only_invisible_characters_finds_nothing(bot: Harness) -> None:
    await bot.services.groups.create(SPACE, "Admin", user("Alice"))
    with pytest.raises(NotFound):
        await bot.services.groups.join(SPACE, "\u200b\u200d", user("Bob"))


async def test_the_leaderboard_finds_a_group_however_it_is_spaced(bot) -> None:
    """The terminal and Discord both reach the leaderboard through the core,
    so the lenient lookup lives there, not in one adapter."""
    from bot.core.models import Period, Scope
    from tests.helpers import CHANNEL, user

    await bot.services.groups.create(CHANNEL.space_key, "Tensor Tigers", user("Alice"))
    board = await bot.services.boards.leaderboard(
        CHANNEL, user("Alice"), Period.WEEK, Scope.GROUP, "tensor\u200b  TIGERS"
    )
    assert "Tensor Tigers" in board.title
