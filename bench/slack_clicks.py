"""Button clicks at once through the Slack adapter, against the same burst
through the Discord adapter in the same run.

Slack: N signed ``block_actions`` requests go through the real Bolt
``AsyncApp.async_dispatch`` (signature check, authorisation, listener
matching) into RoundService.answer and group commit; each reply travels over
HTTP on 127.0.0.1 to a fake response_url. "Ack" is the time until Bolt
returns the acknowledgement Slack waits for (3 s at most); "reply" is the time
until the private "Locked in" message has been sent. Discord: the same number
of gateway interaction payloads through the real StudyBot
(bench/answer_burst.py's ``discord_clicks``). Only the network is faked.

    python bench/slack_clicks.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from answer_burst import discord_clicks
from common import Figure, cli, percentile

from bot import process

SEED = 1
WARM_UP = 20


async def slack_clicks(users: int) -> tuple[float, list[float]]:
    import time_machine
    from slack_bolt.request.async_request import AsyncBoltRequest  # noqa: TID251 - drives the adapter

    from bot.adapters.slack.ids import channel_ref
    from tests.helpers import MONDAY_8AM, Harness
    from tests.slack_adapter.fake_api import ADMIN, CHANNEL, TEAM, FakeSlack
    from tests.slack_adapter.world import SlackWorld, bolt_settled, sign

    traveller = time_machine.travel(MONDAY_8AM, tick=True)
    coordinates = traveller.start()
    fake = await FakeSlack().start()
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder) / "bench.sqlite3", coordinates)
        world = SlackWorld(harness, fake)
        await harness.start()
        try:
            await world.command("daily now", user=ADMIN)
            round_ = await harness.services.rounds.open_round(channel_ref(TEAM, CHANNEL))
            letters = round_.question.letters()
            for i in range(WARM_UP):  # first use imports and builds things; untimed
                await world.click(f"studybot:answer:{round_.id}:a", user=f"U0WARM{i:04d}")
            rng = random.Random(SEED)
            requests = []
            for i in range(users):
                user = f"U0B{i:07d}"
                payload = {
                    "type": "block_actions",
                    "team": {"id": TEAM},
                    "user": {"id": user, "username": f"u{i}", "team_id": TEAM},
                    "api_app_id": "A0STUDY01",
                    "container": {"type": "message", "channel_id": CHANNEL},
                    "channel": {"id": CHANNEL},
                    "response_url": fake.response_url(user),
                    "actions": [
                        {
                            "type": "button",
                            "action_id": f"studybot:answer:{round_.id}:{rng.choice(letters)}",
                            "value": "x",
                        }
                    ],
                }
                body = urlencode({"payload": json.dumps(payload)})
                headers = sign(body, content_type="application/x-www-form-urlencoded")
                requests.append((user, AsyncBoltRequest(body=body, headers=headers)))
            acks: list[float] = []
            arrived: dict[str, float] = {}

            async def click(user: str, request: Any) -> None:
                arrived[user] = time.perf_counter()
                response = await world.bolt.async_dispatch(request)
                assert response.status == 200
                acks.append((time.perf_counter() - arrived[user]) * 1000)

            start = time.perf_counter()
            await asyncio.gather(*(click(user, request) for user, request in requests))
            await bolt_settled()
            await fake.wait_for(
                lambda: sum(1 for k in fake.responses if k.startswith("U0B")) >= users
            )
            elapsed = time.perf_counter() - start
            assert (
                await harness.services.rounds.store.round_answer_count(round_.id) == users + WARM_UP
            )
            texts = [fake.responses[user][0]["text"] for user, _ in requests]
            assert all(t.startswith("Locked in") for t in texts), texts[:3]
            return users / elapsed, acks
        finally:
            await world.close()
            await harness.stop()
            await fake.stop()
            traveller.stop()


def measure(quick: bool) -> list[Figure]:
    clicks = 200 if quick else 1000
    slack_rate, acks = process.run(slack_clicks(clicks))
    discord_rate, discord_acks = process.run(discord_clicks(clicks))
    return [
        Figure(f"slack_clicks_per_s[{clicks}]", slack_rate, "answers/s"),
        Figure(f"slack_ack_p50_ms[{clicks}]", percentile(acks, 50), "ms"),
        Figure(f"slack_ack_p99_ms[{clicks}]", percentile(acks, 99), "ms", "< 3000"),
        Figure(f"discord_clicks_per_s[{clicks}]", discord_rate, "answers/s"),
        Figure(f"discord_ack_p99_ms[{clicks}]", percentile(discord_acks, 99), "ms", "< 3000"),
        Figure(f"slack_vs_discord_rate[{clicks}]", slack_rate / discord_rate, "x"),
    ]


if __name__ == "__main__":
    cli(__doc__ or "", measure)
