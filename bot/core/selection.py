"""Which question a channel gets next.

A channel sees every eligible question once before any repeats: we pick among
the questions it has been asked the fewest times. A seeded RNG keeps tests
deterministic while real use looks random.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from bot.core.errors import UserError
from bot.core.questions import Question


def choose_question(
    candidates: Sequence[Question], asked: Mapping[str, int], rng: random.Random
) -> Question:
    if not candidates:
        raise UserError("no question in the bank matches this channel's topic and difficulty")
    fewest = min(asked.get(q.id, 0) for q in candidates)
    pool = [q for q in candidates if asked.get(q.id, 0) == fewest]
    return rng.choice(pool)
