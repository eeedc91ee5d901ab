"""A user's data on request: what is kept, a copy of it, and erasing it.

Discord's developer policy (and most people's expectations) ask that a bot
say what it stores and delete it when asked. Erasing a user removes their
rows, and the leaderboards stay consistent because every total is per user:
the ranks of everyone else close up as if they had never played.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.models import UserRef
from bot.core.ports import Clock, Store

WHAT_WE_STORE = (
    "studybot keeps, for each person who uses it: the platform's user id and display name; "
    "each daily answer (round, choice, time, points); the score totals per week, month and "
    "all time; the streak and freezes; each drill answer; study-group memberships; "
    "question reports you filed; and for spaced repetition, a card per question you answered "
    "(when it is due again), each grade with its time, your totals per topic and your "
    "/review sessions; and your daily reminder's time, time zone and the date of the last one "
    "sent, if you turned it on with /remind. Nothing else: no messages, no email, no profile data. "
    "`/privacy export` sends you all of it as a JSON file; `/privacy delete` erases it, "
    "and you drop off every leaderboard."
)


EXPORTED = (
    "answers",
    "scores",
    "streaks",
    "drills",
    "groups",
    "reports",
    "cards",
    "reviews",
    "review_topics",
    "review_sessions",
    "reminders",
)
"""The lists in an export, each present even when empty."""


@dataclass(frozen=True, slots=True)
class Erased:
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        parts = [f"{count} {name.replace('_', ' ')}" for name, count in self.rows.items() if count]
        return ", ".join(parts) if parts else "nothing (studybot had stored nothing about you)"


class PrivacyService:
    def __init__(self, *, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def describe(self) -> str:
        return WHAT_WE_STORE

    async def export(self, user: UserRef) -> dict[str, Any]:
        """Everything stored about ``user``; a record with empty lists when nothing is."""
        data = await self.store.export_user(user)
        if data is None:
            data = {
                "user": {"platform": user.platform, "id": user.external_id, "display_name": ""},
                **{k: [] for k in EXPORTED},
            }
        return {"exported_at": self.clock.now().isoformat(timespec="seconds"), **data}

    async def export_json(self, user: UserRef) -> str:
        return json.dumps(await self.export(user), indent=2, ensure_ascii=False, default=_text)

    async def delete(self, user: UserRef) -> Erased:
        return Erased(await self.store.delete_user(user))


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
