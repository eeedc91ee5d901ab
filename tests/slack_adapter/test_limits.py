"""Everything sent to Slack fits Block Kit's documented limits, for every question.

Each payload is checked twice: against the limits in ``bot.adapters.slack.text``
(blocks per message, characters per section, field, header, button...) and by
slack_sdk's own model classes, which parse every block back and validate it in
``to_dict()``. Text cut to fit must end with the marker and never inside an
escape (``&amp;``) or a ``<…>`` token, and user names stay inert however long
or hostile they are.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack import blocks
from bot.adapters.slack.app import ANSWER, DRILL, HOME_DRILL
from bot.adapters.slack.ids import channel_ref, user_ref
from bot.adapters.slack.text import (
    ACTION_ELEMENTS,
    ACTION_ID,
    BLOCKS_PER_MESSAGE,
    BLOCKS_PER_VIEW,
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_ELEMENTS,
    CONTEXT_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    MARKER,
    MESSAGE_TEXT,
    SECTION_FIELDS,
    SECTION_TEXT,
    clip,
    escape,
)
from bot.adapters.slack.text import date as slack_date
from bot.bank import load_bank
from bot.core.drills import MAX_COUNT
from bot.core.models import (
    DrillFeedback,
    DrillSession,
    DrillTotals,
    Group,
    GroupRow,
    Leaderboard,
    Period,
    Recap,
    Report,
    RevealSummary,
    Round,
    RoundKind,
    RoundStatus,
    Schedule,
    Scope,
    ScoreRow,
    StreakView,
)
from bot.core.questions import Kind, Question
from tests.slack_adapter.fake_api import CHANNEL, MEMBER, OTHER_CHANNEL, TEAM

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "questions"
BIG_ID = 10**18 - 1  # the largest id the action_id patterns accept (18 digits)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
HERE = channel_ref(TEAM, CHANNEL)
LONG_ZONE = "America/Argentina/ComodRivadavia"
# Everything a display name may hold that mrkdwn would act on; escaping makes it
# several times longer than its 200 characters.
HOSTILE = "<!channel> <@U0ADMIN01|boss> <#C0OTHER01> <https://evil.example|click> *b* _i_ ~s~ `c` &amp; \u202e\u200b\n"
LONG_NAME = (HOSTILE * 10)[:200]
KNOWN_CHANNELS = {CHANNEL, OTHER_CHANNEL}

# What the bot itself may put in mrkdwn: a date token, a channel link, an escape.
DATE_TOKEN = r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]+>"
CHANNEL_TOKEN = r"<#(?P<channel>[CG][A-Z0-9]+)>"
OWN_TOKEN = re.compile(rf"{DATE_TOKEN}|{CHANNEL_TOKEN}|&amp;|&lt;|&gt;")
ENTITIES = re.compile(r"(?:&amp;|&lt;|&gt;)+")


def bank_questions() -> tuple[Question, ...]:
    """The real bank. Other packs may be half-written while this runs; the loader
    then refuses the whole bank, so each pack is loaded on its own and the ones
    with errors are left out (with a warning)."""
    result = load_bank([QUESTIONS_DIR])
    if result.ok:
        return result.questions
    kept: list[Question] = []
    for path in sorted(QUESTIONS_DIR.glob("*.y*ml")):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / path.name).symlink_to(path)
            one = load_bank([Path(tmp)])
        if one.ok:
            kept.extend(one.questions)
        else:
            warnings.warn(f"skipped {path.name}: {one.errors[0]}", stacklevel=1)
    return tuple(kept)


QUESTIONS = bank_questions()
# Rounds and drills only ever hold choice questions (both services filter on it).
CHOICE = tuple(q for q in QUESTIONS if q.kind is Kind.CHOICE)


# ---- checks ----------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``node``, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def check_mrkdwn(text: str, channels: set[str] = KNOWN_CHANNELS) -> None:
    """Only the bot's own tokens are live: any ``<``, ``>`` or ``&`` is part of a
    date, a known channel link or a whole escape (so no cut fell inside one)."""
    for match in OWN_TOKEN.finditer(text):
        if match["channel"]:
            assert match["channel"] in channels, text
    rest = OWN_TOKEN.sub("", text)
    assert not re.search(r"[<>&]", rest), f"unescaped or cut markup in {text!r}"


def check_text_object(obj: dict[str, Any], limit: int) -> None:
    assert obj["type"] in {"mrkdwn", "plain_text"}, obj
    assert 1 <= len(obj["text"]) <= limit, (len(obj["text"]), limit)
    if obj["type"] == "mrkdwn":
        assert obj.get("verbatim") is True, obj  # Slack must not link or ping by itself
        check_mrkdwn(obj["text"])
    else:
        assert all(c.isprintable() or c == "\n" for c in obj["text"]), obj


def check_block(block: dict[str, Any]) -> None:
    kind = block["type"]
    assert len(block.get("block_id", "")) <= ACTION_ID
    if kind == "section":
        assert "text" in block or "fields" in block, block
        if "text" in block:
            check_text_object(block["text"], SECTION_TEXT)
        assert len(block.get("fields", [])) <= SECTION_FIELDS
        for field in block.get("fields", []):
            check_text_object(field, FIELD_TEXT)
    elif kind == "header":
        assert block["text"]["type"] == "plain_text"
        check_text_object(block["text"], HEADER_TEXT)
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= CONTEXT_ELEMENTS
        for element in block["elements"]:
            check_text_object(element, CONTEXT_TEXT)
    elif kind == "actions":
        assert 1 <= len(block["elements"]) <= ACTION_ELEMENTS
        for button in block["elements"]:
            assert button["type"] == "button"
            assert button["text"]["type"] == "plain_text"
            check_text_object(button["text"], BUTTON_TEXT)
            assert 1 <= len(button["action_id"]) <= ACTION_ID
            assert 1 <= len(button["value"]) <= BUTTON_VALUE
    else:
        assert kind == "divider", f"unexpected block type {kind}"
    # slack_sdk's own models: parsing and to_dict() validate every documented limit.
    parsed = Block.parse(block)
    assert parsed is not None
    assert parsed.to_dict() == block


def check_blocks(items: list[dict[str, Any]], limit: int) -> None:
    assert 1 <= len(items) <= limit
    for block in items:
        check_block(block)
    action_ids = [b["action_id"] for b in walk(items) if "action_id" in b]
    assert len(action_ids) == len(set(action_ids)), action_ids


def check_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A chat.postMessage / response_url payload; returned for further checks."""
    assert set(payload) == {"text", "blocks"}, set(payload)
    assert 1 <= len(payload["text"]) <= MESSAGE_TEXT
    check_mrkdwn(payload["text"])  # the notification fallback is mrkdwn as well
    check_blocks(payload["blocks"], BLOCKS_PER_MESSAGE)
    return payload


def texts(payload: dict[str, Any]) -> list[str]:
    return [n["text"] for n in walk(payload["blocks"]) if n.get("type") in {"mrkdwn", "plain_text"}]


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(payload["blocks"]) if n.get("type") == "button"]


# ---- every question ----------------------------------------------------------------------


def round_of(question: Question) -> Round:
    return Round(
        id=BIG_ID,
        channel=HERE,
        question=question,
        kind=RoundKind.SCHEDULED,
        round_date=date(2026, 11, 23),
        timezone=LONG_ZONE,
        posted_at=NOW,
        reveals_at=NOW + timedelta(hours=24),
        status=RoundStatus.OPEN,
        message_id="1764000000.000001",
    )


def test_the_checks_catch_what_they_are_for() -> None:
    for bad in ("<!here>", "<@U0ADMIN01>", "<#C0SOMEONE>", "<https://evil.example|x>", "a &am…"):
        with pytest.raises(AssertionError):
            check_mrkdwn(bad)
    check_mrkdwn(f"in <#{CHANNEL}> at {slack_date(NOW)} &amp; &lt;!here&gt;")
    too_long = blocks.section("x").to_dict()
    too_long["text"]["text"] = "x" * (SECTION_TEXT + 1)
    with pytest.raises(AssertionError):
        check_block(too_long)
    plain = blocks.section("x").to_dict()
    plain["text"]["verbatim"] = False
    with pytest.raises(AssertionError):
        check_block(plain)


def test_the_real_bank_is_loaded() -> None:
    assert len(QUESTIONS) >= 600, len(QUESTIONS)
    assert len(CHOICE) >= 400, len(CHOICE)


@pytest.mark.parametrize("question", CHOICE, ids=lambda q: q.id)
def test_every_question_fits_in_every_message(question: Question) -> None:
    round_ = round_of(question)
    letters = question.letters()

    posted = check_message(blocks.round_message(round_))
    ids = [b["action_id"] for b in buttons(posted)]
    assert [ANSWER.fullmatch(i) is not None for i in ids] == [True] * len(letters), ids
    assert [b["value"] for b in buttons(posted)] == [f"{BIG_ID}:{x}" for x in letters]
    assert escape(question.id) in posted["blocks"][-1]["elements"][0]["text"]

    closed = check_message(blocks.round_message(round_, closed=True))
    assert buttons(closed) == []

    summary = RevealSummary(
        round=round_,
        counts={letter: 10**9 for letter in letters},
        total=10**9 * len(letters),
        correct=10**9,
        first_correct=(LONG_NAME,) * 12,  # escaped, 12 names are far past CONTEXT_TEXT
        streaks=tuple((LONG_NAME, 10**6) for _ in range(12)),
    )
    revealed = check_message(blocks.reveal_message(summary))
    notes = " ".join(texts(revealed))
    assert "First correct: " + escape(LONG_NAME) in notes  # cut after, never inside, a name

    drill = DrillSession(BIG_ID, user_ref(MEMBER, LONG_NAME), (question,) * MAX_COUNT, 0, 0, NOW)
    started = check_message(blocks.drill_start_message(drill))
    assert all(DRILL.fullmatch(b["action_id"]) for b in buttons(started))
    for position in (1, MAX_COUNT):  # the next question, then the summary
        moved = dataclasses.replace(drill, position=position, correct=position)
        step = check_message(
            blocks.drill_step_message(DrillFeedback(moved, question, letters[-1], False))
        )
        ids = [b["action_id"] for b in buttons(step)]
        assert all(DRILL.fullmatch(i) for i in ids)
        assert (ids == []) == moved.finished


def test_the_bank_question_that_comes_closest_to_the_limits_still_has_room() -> None:
    """The parametrized test passes trivially if every text is short; this one shows
    which question is longest, so a pack that grows past a limit is caught early."""
    longest = max(CHOICE, key=lambda q: len(escape(q.explanation)) + len(escape(q.correct_text)))
    revealed = blocks.reveal_message(
        RevealSummary(round_of(longest), {x: 1 for x in longest.letters()}, 1, 1, (), ())
    )
    section = revealed["blocks"][1]["text"]["text"]
    assert not section.endswith(MARKER), f"{longest.id}'s explanation no longer fits"


# ---- cutting text ------------------------------------------------------------------------


def test_a_prompt_of_entities_is_cut_at_an_entity_boundary() -> None:
    base = CHOICE[0]
    nasty = "&<>" * 500  # 1500 characters; escaped they are 6500
    question = dataclasses.replace(
        base,
        prompt=nasty,
        explanation=nasty * 2,
        choices=tuple(nasty[:155] for _ in base.choices),
    )
    payloads = [
        blocks.round_message(round_of(question)),
        blocks.reveal_message(
            RevealSummary(round_of(question), {x: 0 for x in question.letters()}, 0, 0, (), ())
        ),
    ]
    drill = DrillSession(BIG_ID, user_ref(MEMBER), (question, question), 1, 0, NOW)
    payloads.append(blocks.drill_step_message(DrillFeedback(drill, question, "a", True)))
    cut = 0
    for payload in payloads:
        check_message(payload)
        for text in [payload["text"], *texts(payload)]:
            if text.endswith(MARKER):
                cut += 1
                assert not text.endswith("&" + MARKER)
                body = text.removesuffix(MARKER)
                tail = re.search(r"(?:&amp;|&lt;|&gt;)*$", body)
                assert tail is not None and tail.group(), text[-40:]
    assert cut >= 5  # the prompt (section and fallback), two explanations and more were cut
    prompt = payloads[0]["blocks"][2]["text"]["text"]
    assert len(prompt) == SECTION_TEXT or len(prompt) >= SECTION_TEXT - len("&amp;")
    assert ENTITIES.fullmatch(prompt.removesuffix(MARKER)), prompt[-20:]


@pytest.mark.parametrize("limit", [*range(1, 40), SECTION_TEXT, FIELD_TEXT, HEADER_TEXT])
def test_clip_never_cuts_inside_an_escape_or_a_token(limit: int) -> None:
    samples = [
        escape("&<>" * 1500),
        escape("a&b<c>d" * 1000),
        f"due {slack_date(NOW, LONG_ZONE)} in <#{CHANNEL}> " * 200,
        escape("*_~`" * 2000),
    ]
    for text in samples:
        cut = clip(text, limit)
        assert len(cut) <= limit
        assert cut.endswith(MARKER)
        kept = cut.removesuffix(MARKER)
        assert text.startswith(kept)
        check_mrkdwn(kept)
    assert clip("short", limit + 5) == "short"


def test_plain_text_is_cut_without_dropping_literal_markup() -> None:
    """A header is plain_text: ``<`` and ``&`` in it are just characters, so cutting
    it must keep everything up to the limit (it once dropped all after a ``<``)."""
    for name in ("<" * 300, "a&b " * 100, "x <!here " * 40):
        # At most one trailing space goes before the marker; nothing else is lost.
        title = blocks.header(f"Streak — {name}").to_dict()["text"]["text"]
        assert HEADER_TEXT - 1 <= len(title) <= HEADER_TEXT and title.endswith(MARKER)
        assert f"Streak — {name}".startswith(title.removesuffix(MARKER))
        label = blocks.button(name, "studybot:x", "v").to_dict()["text"]["text"]
        assert BUTTON_TEXT - 1 <= len(label) <= BUTTON_TEXT and label.endswith(MARKER)
        assert name.startswith(label.removesuffix(MARKER))


# ---- crowded messages ----------------------------------------------------------------------


def score_rows(count: int, name: str) -> tuple[ScoreRow, ...]:
    return tuple(ScoreRow(i, i, name, 10**12, 10**9, 10**9) for i in range(1, count + 1))


def test_a_leaderboard_of_long_hostile_names_fits() -> None:
    board = Leaderboard(
        Period.ALL,
        "all",
        Scope.GROUP,
        score_rows(25, LONG_NAME),
        ScoreRow(10**6, 10**6, LONG_NAME, 1, 1, 1),
        "Leaderboard — group " + "Tensor Tigers " * 30,
    )
    streak = StreakView(LONG_NAME, 10**6, 10**6, 10**6, 10**9, 10**9)
    payload = check_message(blocks.leaderboard_message(board, streak))
    header, section = payload["blocks"][0], payload["blocks"][1]
    assert header["text"]["text"].endswith(MARKER)
    assert section["text"]["text"].endswith(MARKER)
    assert section["text"]["text"].startswith("`  1.` " + escape(LONG_NAME)[:100])
    assert "<!channel>" not in payload["text"]


def test_two_hundred_reports_fit_in_one_section() -> None:
    reports = [
        Report(i, f"question-{i:04d}-" + "x" * 30, LONG_NAME, (HOSTILE * 20)[:300], NOW)
        for i in range(1, 201)
    ]
    payload = check_message(blocks.reports_message(reports))
    assert len(payload["blocks"]) == 2
    section = payload["blocks"][1]["text"]["text"]
    assert len(section) <= SECTION_TEXT and section.endswith(MARKER)
    assert section.startswith(f"`#1` *question-0001-{'x' * 30}* — " + escape(HOSTILE)[:50])
    assert check_message(blocks.reports_message([]))["blocks"][1]["text"]["text"] == (
        "No open question reports."
    )


def test_the_app_home_view_fits() -> None:
    view = StreakView(LONG_NAME, 10**6, 10**6, 10**6, 10**9, 10**9, 10**3)
    week = Leaderboard(
        Period.WEEK, "w2026-48", Scope.SPACE, (), ScoreRow(10**6, 1, LONG_NAME, 10**12, 1, 1)
    )
    for has_rounds, drills in ((True, DrillTotals(10**9, 10**9)), (False, DrillTotals())):
        home = blocks.home_view(view, week, drills, workspace_has_rounds=has_rounds)
        assert home["type"] == "home"
        check_blocks(home["blocks"], BLOCKS_PER_VIEW)
        assert View(**home).to_dict()["blocks"] == home["blocks"]
        ids = [b["action_id"] for b in buttons(home)]
        assert [HOME_DRILL.fullmatch(i)["difficulty"] for i in ids] == list(  # type: ignore[index]
            blocks.HOME_DIFFICULTIES
        )
        assert ("No daily question here yet" in " ".join(texts(home))) is not has_rounds


def test_too_many_blocks_are_cut_with_a_note() -> None:
    many = [blocks.section(f"line {i}") for i in range(3 * BLOCKS_PER_VIEW)]
    for limit in (BLOCKS_PER_MESSAGE, BLOCKS_PER_VIEW):
        rendered = blocks.render(many, limit=limit)
        check_blocks(rendered, limit)
        assert len(rendered) == limit
        assert rendered[-1]["type"] == "context"
        assert MARKER in rendered[-1]["elements"][0]["text"]
    assert len(blocks.render(many[:BLOCKS_PER_MESSAGE])) == BLOCKS_PER_MESSAGE  # nothing cut


def test_every_other_message_fits_with_extreme_inputs() -> None:
    question = CHOICE[0]
    view = StreakView(LONG_NAME, 10**6, 10**6, 10**6, 10**9, 10**9, 10**3)
    board = Leaderboard(Period.WEEK, "w2026-48", Scope.SPACE, score_rows(25, LONG_NAME))
    boards = [
        dataclasses.replace(board, period=p, caller=ScoreRow(10**6, 1, LONG_NAME, 10**12, 1, 1))
        for p in Period
    ]
    groups = [GroupRow(i, Group(i, LONG_NAME, 10**6), 10**12, 10**6) for i in range(1, 26)]
    schedule = Schedule(
        channel=HERE,
        post_time=NOW.time(),
        timezone=LONG_ZONE,
        weekdays=frozenset({0, 2, 4}),
        reveal_after=timedelta(hours=24),
        topics=tuple(f"topic-{i}-{'x' * 25}" for i in range(200)),
        failing=HOSTILE * 100,
    )
    recap = Recap(HERE, "w2026-48", board, tuple((LONG_NAME, 10**6) for _ in range(50)), 10**6)
    payloads = [
        blocks.help_message(),
        blocks.streak_message(view),
        blocks.stats_message(view, boards, DrillTotals(10**9, 10**9)),
        blocks.stats_message(view, [dataclasses.replace(board, caller=None)], DrillTotals()),
        blocks.groups_message(groups, "Study groups — week"),
        blocks.groups_message([], "Study groups — week"),
        blocks.recap_message(recap),
        blocks.schedule_message(schedule, NOW, f"Daily question scheduled in <#{CHANNEL}>."),
        blocks.schedule_message(dataclasses.replace(schedule, paused=True), None),
        blocks.schedules_list_message(
            [dataclasses.replace(schedule, channel=channel_ref(TEAM, OTHER_CHANNEL))] * 300
        ),
        blocks.topics_message([(f"topic-{i}-{LONG_NAME}", 10**6) for i in range(300)], 10**9),
        blocks.text_message(escape(HOSTILE * 300)),
        blocks.drill_start_message(
            DrillSession(1, user_ref(MEMBER), (question,) * MAX_COUNT, 0, 0, NOW)
        ),
    ]
    for payload in payloads:
        check_message(payload)
    stats = payloads[2]["blocks"][1]["fields"]
    assert len(stats) == 4 + len(Period) + 1  # streak, one per period, drills
    failing = payloads[7]["blocks"][-1]["text"]["text"]
    assert failing.startswith("⚠️ *Problem:* " + escape(HOSTILE)[:40]) and failing.endswith(MARKER)
