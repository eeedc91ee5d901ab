"""Private drills edited in place through response_url, and the App Home tab."""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.ids import channel_ref, user_ref
from tests.slack_adapter.fake_api import ADMIN, CHANNEL, MEMBER, SECOND, TEAM
from tests.slack_adapter.world import SlackWorld, text_of


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_a_drill_runs_in_one_private_message(world: SlackWorld) -> None:
    start = await world.command("drill evaluation 2", user=MEMBER)
    assert start["response_type"] == "ephemeral"
    assert "Drill — question 1 of 2" in text_of(start)
    first = buttons(start)
    session_id = int(first[0].split(":")[2])
    session = await world.harness.services.drills.store.get_drill(session_id)
    right = session.questions[0].answer

    step = await world.click(f"studybot:drill:{session_id}:0:{right}", user=MEMBER)
    assert step is not None and step["replace_original"] is True
    assert "✅" in text_of(step) and "Drill — question 2 of 2" in text_of(step)
    assert buttons(step) == [f"studybot:drill:{session_id}:1:{x}" for x in "abcd"]

    # An old button pressed twice, and someone else's click: refused, drill intact.
    twice = await world.click(f"studybot:drill:{session_id}:0:{right}", user=MEMBER)
    assert twice is not None and twice["replace_original"] is False
    assert "already answered that question" in text_of(twice)
    stranger = await world.click(f"studybot:drill:{session_id}:1:a", user=SECOND)
    assert stranger is not None and "belongs to someone else" in text_of(stranger)

    wrong = next(x for x in "abcd" if x != session.questions[1].answer)
    done = await world.click(f"studybot:drill:{session_id}:1:{wrong}", user=MEMBER)
    assert done is not None
    assert "Not quite" in text_of(done) and "You got *1 of 2* right (50%)" in text_of(done)
    assert buttons(done) == []
    totals = await world.harness.services.drills.totals(user_ref(MEMBER))
    assert (totals.answered, totals.correct) == (2, 1)


async def test_a_drill_survives_a_restart(world: SlackWorld) -> None:
    start = await world.command("drill ensembles 1", user=MEMBER)
    session_id = int(buttons(start)[0].split(":")[2])
    await world.harness.restart()
    done = await world.click(f"studybot:drill:{session_id}:0:a", user=MEMBER)
    assert done is not None and "Drill finished" in text_of(done)


async def test_app_home_shows_progress_and_starts_a_drill(world: SlackWorld) -> None:
    await world.event(
        {"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME001", "tab": "home"}
    )
    (published,) = world.fake.of("views.publish")
    assert published["user_id"] == MEMBER
    view = published["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert view["type"] == "home"
    shown = text_of(view)
    assert "Current streak" in shown and "no points yet" in shown
    assert "No daily question here yet" in shown
    assert buttons(view) == [f"studybot:home-drill:{d}" for d in ("any", "easy", "medium", "hard")]

    # The messages tab of the app gets no Home view.
    await world.event(
        {"type": "app_home_opened", "user": MEMBER, "channel": "D0HOME001", "tab": "messages"}
    )
    assert len(world.fake.of("views.publish")) == 1

    reply = await world.click("studybot:home-drill:hard", user=MEMBER, container="view")
    assert reply is None  # no response_url from a Home tab
    (dm,) = world.fake.of("chat.postMessage")
    assert dm["channel"] == MEMBER
    assert "Drill — question 1 of" in text_of(dm) and "hard" in text_of(dm)


async def test_app_home_after_a_round(world: SlackWorld) -> None:
    await world.command("daily setup 09:30 UTC", user=ADMIN)
    await world.command("daily now", user=ADMIN)
    round_ = await world.harness.services.rounds.open_round(channel_ref(TEAM, CHANNEL))
    await world.click(f"studybot:answer:{round_.id}:{round_.question.answer}", user=MEMBER)
    await world.command("daily reveal", user=ADMIN)
    await world.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    view = world.fake.of("views.publish")[-1]["view"]
    shown = text_of(view)
    assert "rank 1" in shown and "1 days" in shown
    assert "No daily question here yet" not in shown
