"""A user who answered earlier and then clicks again, several times, in one batch.

Every reply must name the answer the database holds: the first one, from the
earlier batch, not the first click of the later batch (which was never stored).
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from bot.core.models import AnswerOutcome, AnswerSubmission
from tests.helpers import CHANNEL, Harness, user


async def stored_choices(bot: Harness, round_id: int) -> dict[str, str]:
    async with bot.runtime.db.reader.execute(
        "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id "
        "WHERE a.round_id = ?",
        (round_id,),
    ) as cursor:
        return {row[0]: row[1] async for row in cursor}


async def test_repeats_in_one_batch_are_told_the_stored_answer(bot: Harness) -> None:
    round_ = await bot.services.rounds.post_now(CHANNEL)
    store = bot.runtime.store
    now = bot.now
    ann, bea = user("ann"), user("bea")
    await store.record_answers([AnswerSubmission(round_.id, ann, "a", now)])
    later = now + timedelta(seconds=5)
    results = await store.record_answers(
        [
            AnswerSubmission(round_.id, ann, "b", later),
            AnswerSubmission(round_.id, ann, "c", later),
            AnswerSubmission(round_.id, bea, "d", later),
            AnswerSubmission(round_.id, bea, "a", later),
        ]
    )
    assert [(r.outcome, r.choice) for r in results] == [
        (AnswerOutcome.ALREADY_ANSWERED, "a"),
        (AnswerOutcome.ALREADY_ANSWERED, "a"),
        (AnswerOutcome.ACCEPTED, "d"),
        (AnswerOutcome.ALREADY_ANSWERED, "d"),
    ]
    assert await stored_choices(bot, round_.id) == {"ann": "a", "bea": "d"}


async def test_a_burst_of_repeat_clicks_always_names_the_stored_answer(bot: Harness) -> None:
    """Bursts through the service and its group commit: half the users answered
    in an earlier burst; then everyone clicks three different options at once."""
    round_ = await bot.services.rounds.post_now(CHANNEL)
    rounds = bot.services.rounds
    rng = random.Random(11)
    people = [user(f"p{i}") for i in range(300)]
    await asyncio.gather(*(rounds.answer(round_.id, p, rng.choice("abcd")) for p in people[::2]))
    clicks = [(p, letter) for p in people for letter in rng.sample("abcd", 3)]
    rng.shuffle(clicks)
    replies = await asyncio.gather(*(rounds.answer(round_.id, p, x) for p, x in clicks))
    stored = await stored_choices(bot, round_.id)
    assert len(stored) == len(people)
    accepted: dict[str, int] = {}
    for (person, _), reply in zip(clicks, replies, strict=True):
        assert reply.choice == stored[person.external_id], (person, reply)
        if reply.outcome is AnswerOutcome.ACCEPTED:
            accepted[person.external_id] = accepted.get(person.external_id, 0) + 1
    # Only the users without an earlier answer get one acceptance each.
    assert accepted == {p.external_id: 1 for p in people[1::2]}
