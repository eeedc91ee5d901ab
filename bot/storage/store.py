"""The domain's ``Store`` port, on SQLite or PostgreSQL.

One class for both: the repository mixins write their SQL once against
``bot/storage/sql.py``, and the database handed in (``Database`` for SQLite,
``PgDatabase`` for PostgreSQL) is the only part that knows which it is.
"""

from __future__ import annotations

from bot.storage.community import CommunityRecords
from bot.storage.drills import DrillRecords
from bot.storage.identity import Identities
from bot.storage.privacy import PrivacyRecords
from bot.storage.reminders import ReminderRecords
from bot.storage.reviews import ReviewRecords
from bot.storage.rounds import RoundRecords
from bot.storage.schedules import ScheduleRecords
from bot.storage.scores import ScoreRecords
from bot.storage.sql import Database
from bot.storage.workers import WorkerRecords


class SqlStore(
    ScheduleRecords,
    RoundRecords,
    ScoreRecords,
    CommunityRecords,
    DrillRecords,
    PrivacyRecords,
    ReviewRecords,
    ReminderRecords,
    WorkerRecords,
):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.ids = Identities()
        # Keys cached inside a transaction that then rolls back would point at
        # rows that were never committed (and SQLite reuses such keys).
        db.on_rollback(self.ids.forget)
