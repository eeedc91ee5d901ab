"""Two ``studybot slack --http`` workers behind one load balancer, on one store.

Each worker here is what one process would be: its own runtime (scheduler,
services, caches) and its own Bolt app, both over the same database and the
same fake Slack. Any worker may take any request, so a session started
through one worker must carry on through the other, and a double click that
the balancer splits between them must count once: everything a button needs
is in its ``action_id`` and the database, nothing in a worker's memory.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import time_machine
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapters.slack import blocks
from bot.adapters.slack.ids import channel_ref, user_ref
from bot.core.models import Round
from bot.core.reviews import Grade, ReviewSession
from tests.helpers import Harness
from tests.slack_adapter.fake_api import ADMIN, BOT_USER, CHANNEL, MEMBER, SECOND, TEAM, FakeSlack
from tests.slack_adapter.test_drill_and_home import buttons
from tests.slack_adapter.world import SlackWorld, bolt_settled, sign, text_of

HERE = channel_ref(TEAM, CHANNEL)


@pytest.fixture
async def workers(
    store_target: Path | str, traveller: time_machine.Traveller, fake_slack: FakeSlack
) -> AsyncIterator[tuple[SlackWorld, SlackWorld]]:
    """Worker A and worker B: two runtimes and two Bolt apps on one database."""
    started: list[SlackWorld] = []
    try:
        for _ in range(2):
            world = SlackWorld(Harness(store_target, traveller), fake_slack)
            await world.harness.start()
            started.append(world)
        yield started[0], started[1]
    finally:
        for world in reversed(started):
            await world.close()
            await world.harness.stop()


async def rows(world: SlackWorld, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    return await world.harness.query(sql, parameters)


async def both(*clicks: Any) -> list[dict[str, Any]]:
    """Clicks delivered at the same moment (to one worker each); every one answered."""
    replies = await asyncio.gather(*clicks)
    assert all(reply is not None for reply in replies), replies
    return list(replies)


# ---- drills ------------------------------------------------------------------------


async def test_a_drill_started_on_one_worker_goes_on_through_the_other(
    workers: tuple[SlackWorld, SlackWorld],
) -> None:
    a, b = workers
    start = await a.command("drill evaluation 3", user=MEMBER)
    session_id = int(buttons(start)[0].split(":")[2])
    session = await a.harness.services.drills.store.get_drill(session_id)
    answers = [q.answer for q in session.questions]

    # The first answer lands on B, which has never seen this drill.
    step = await b.click(f"studybot:drill:{session_id}:0:{answers[0]}", user=MEMBER)
    assert step is not None and step["replace_original"] is True
    assert "✅" in text_of(step) and "Drill — question 2 of 3" in text_of(step)
    assert buttons(step) == [f"studybot:drill:{session_id}:1:{x}" for x in "abcd"]

    # A double click split across the workers: one moves the drill, one is refused.
    wrong = next(x for x in "abcd" if x != answers[1])
    replies = await both(
        a.click(f"studybot:drill:{session_id}:1:{answers[1]}", user=MEMBER),
        b.click(f"studybot:drill:{session_id}:1:{wrong}", user=MEMBER),
    )
    moved = [r for r in replies if r["replace_original"] is True]
    refused = [r for r in replies if r["replace_original"] is False]
    assert len(moved) == 1 and len(refused) == 1, replies
    assert "Drill — question 3 of 3" in text_of(moved[0])
    assert "already answered that question" in text_of(refused[0])

    # The old button again, through A this time: still refused.
    again = await a.click(f"studybot:drill:{session_id}:0:{answers[0]}", user=MEMBER)
    assert again is not None and "already answered that question" in text_of(again)

    done = await a.click(f"studybot:drill:{session_id}:2:{answers[2]}", user=MEMBER)
    assert done is not None and "Drill finished" in text_of(done)
    recorded = await rows(
        b,
        "SELECT position, COUNT(*) FROM drill_answers WHERE session_id = ? GROUP BY position "
        "ORDER BY position",
        session_id,
    )
    assert recorded == [(0, 1), (1, 1), (2, 1)]
    for world in workers:
        totals = await world.harness.services.drills.totals(user_ref(MEMBER))
        assert totals.answered == 3


# ---- reviews -----------------------------------------------------------------------


def review_action(session: ReviewSession, position: int, what: str) -> str:
    return blocks.REVIEW_ACTION.format(session_id=session.id, position=position, action=what)


async def test_a_review_moves_between_workers_and_counts_each_card_once(
    workers: tuple[SlackWorld, SlackWorld],
) -> None:
    a, b = workers
    reply = await a.command("review 6", user=MEMBER)
    session = await a.harness.services.reviews.session(
        int(buttons(reply)[0].split(":")[2]), user_ref(MEMBER)
    )
    assert any(item.flashcard for item in session.items)  # both kinds of card are exercised
    pair = (a, b)
    for position, item in enumerate(session.items):
        # Each card's clicks alternate between the workers, and every card's
        # final click is also sent to the other worker at the same moment.
        here, there = pair[position % 2], pair[1 - position % 2]
        if item.flashcard:
            shown = await there.click(review_action(session, position, "show"), user=MEMBER)
            assert shown is not None and "*Model answer*" in text_of(shown)
            final = [
                review_action(session, position, f"grade:{Grade.GOOD.value}"),
                review_action(session, position, f"grade:{Grade.EASY.value}"),
            ]
        else:
            right = item.question.answer
            wrong = next(x for x in item.question.letters() if x != right)
            final = [review_action(session, position, x) for x in (right, wrong)]
        replies = await both(here.click(final[0], user=MEMBER), there.click(final[1], user=MEMBER))
        moved = [r for r in replies if r["replace_original"] is True]
        refused = [r for r in replies if r["replace_original"] is False]
        assert len(moved) == 1 and len(refused) == 1, replies
        assert "you already answered that one" in text_of(refused[0]).lower()

    assert "Review finished" in text_of(moved[0])
    logged = await rows(
        b,
        "SELECT question_id, COUNT(*) FROM review_log WHERE source = 'review' GROUP BY question_id",
    )
    assert sorted(logged) == sorted((item.question.id, 1) for item in session.items)
    latest = await b.harness.services.reviews.session(session.id, user_ref(MEMBER))
    assert latest.finished and len(latest.grades) == len(session.items)


# ---- the daily question -----------------------------------------------------------


async def open_round(world: SlackWorld) -> Round:
    round_: Round | None = await world.harness.services.rounds.open_round(HERE)
    assert round_ is not None
    return round_


async def test_a_daily_answer_counts_once_whichever_worker_takes_it(
    workers: tuple[SlackWorld, SlackWorld],
) -> None:
    a, b = workers
    await a.command("daily setup 09:30 UTC", user=ADMIN)
    posted = await a.command("daily now", user=ADMIN)
    assert "Posted question #" in text_of(posted)
    (message,) = a.fake.of("chat.postMessage")
    assert message["channel"] == CHANNEL
    round_ = await open_round(b)
    ts = round_.message_id
    assert ts is not None and ts == (await open_round(a)).message_id
    right = round_.question.answer
    wrong = next(x for x in round_.question.letters() if x != right)
    answer = f"studybot:answer:{round_.id}:"

    first = await a.click(answer + right, user=MEMBER)
    assert first is not None and f"Locked in: *{right.upper()}*" in text_of(first)
    # The same person, the other worker, another letter: the first answer stands.
    second = await b.click(answer + wrong, user=MEMBER)
    assert second is not None
    assert f"You already chose *{right.upper()}*" in text_of(second)

    # A double click split between the workers at the same moment.
    replies = await both(
        a.click(answer + wrong, user=SECOND, name="bea"),
        b.click(answer + right, user=SECOND, name="bea"),
    )
    locked = [r for r in replies if "Locked in" in text_of(r)]
    kept = [r for r in replies if "You already chose" in text_of(r)]
    assert len(locked) == 1 and len(kept) == 1, replies
    assert await a.harness.services.rounds.store.round_answer_count(round_.id) == 2

    # Revealed through B: it closes the message A posted (the ts is in the
    # database) and answers in its thread.
    revealed = await b.command("daily reveal", user=ADMIN)
    assert f"Revealed question #{round_.id}" in text_of(revealed)
    (update,) = a.fake.of("chat.update")
    assert update["ts"] == ts and buttons(update) == []
    reveal = a.fake.of("chat.postMessage")[-1]
    assert reveal["thread_ts"] == ts
    assert "of 2 answers" in text_of(reveal)

    # A holds the round among its open ones from the answers it took, and the
    # reveal time is still ahead: the database still refuses the late click.
    for world in (a, b):
        late = await world.click(answer + right, user="U0LATE001")
        assert late is not None and "Answering has closed" in text_of(late)
    assert await b.harness.services.rounds.store.round_answer_count(round_.id) == 2
    scored = await rows(
        a, "SELECT COUNT(*) FROM answers WHERE round_id = ? AND points IS NOT NULL", round_.id
    )
    assert scored == [(2,)]


async def test_someone_erased_through_one_worker_plays_on_through_the_other(
    workers: tuple[SlackWorld, SlackWorld],
) -> None:
    """Each worker caches user keys; erasing someone through B deletes their
    row, and A, which still knows the old key, must not fail their next answer
    (nor the answers committed in the same batch as it)."""
    a, b = workers
    await a.command("daily setup 09:30 UTC", user=ADMIN)
    await a.command("daily now", user=ADMIN)
    round_ = await open_round(a)
    answered = await a.click(f"studybot:answer:{round_.id}:{round_.question.answer}", user=MEMBER)
    assert answered is not None and "Locked in" in text_of(answered)
    await a.command("daily reveal", user=ADMIN)

    asked = await b.command("privacy delete", user=MEMBER)
    (erase,) = buttons(asked)
    erased = await b.click(erase, user=MEMBER)
    assert erased is not None and "Done. Erased" in text_of(erased)
    assert await rows(b, "SELECT COUNT(*) FROM users WHERE external_id = ?", MEMBER) == [(0,)]

    await a.command("daily now", user=ADMIN)
    fresh = await open_round(a)
    answer = f"studybot:answer:{fresh.id}:{fresh.question.answer}"
    replies = await both(a.click(answer, user=MEMBER), a.click(answer, user=SECOND, name="bea"))
    assert all("Locked in" in text_of(r) for r in replies), replies
    assert await a.harness.services.rounds.store.round_answer_count(fresh.id) == 2

    # A private drill (a write of its own) through A works for them as well.
    drill = await a.command("drill evaluation 1", user=MEMBER)
    assert "Drill — question 1 of 1" in text_of(drill)


# ---- Events API retries -------------------------------------------------------------


async def test_an_event_retried_to_the_other_worker_changes_nothing_twice(
    workers: tuple[SlackWorld, SlackWorld],
) -> None:
    """Slack resends an event (X-Slack-Retry-Num) when the first delivery was
    not acknowledged in time, and the balancer may hand the resend to the
    other worker. Nothing remembers event ids in memory: handling it again
    must simply be harmless."""
    a, b = workers
    await a.command("daily setup 09:30 UTC", user=ADMIN)
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0STUDY01",
            "event": {"type": "channel_archive", "channel": CHANNEL, "user": ADMIN},
            "type": "event_callback",
            "event_id": "Ev0RETRIED1",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )
    for world, retry in ((a, None), (b, "1")):
        headers: dict[str, str | Sequence[str]] = {**sign(body, content_type="application/json")}
        if retry is not None:
            headers |= {"x-slack-retry-num": [retry], "x-slack-retry-reason": ["http_timeout"]}
        response = await world.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        await bolt_settled()
        await world.harness.settle()
        assert response.status == 200
        schedule = await world.harness.services.schedules.get(HERE)
        assert schedule.paused and schedule.failing == "the channel was archived"
    shown = await b.command("daily show", user=ADMIN)
    assert "archived" in text_of(shown)
