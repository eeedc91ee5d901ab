"""SQLite persistence behind the domain's ``Store`` port."""

from bot.storage.database import Database
from bot.storage.store import SqlStore

__all__ = ["Database", "SqlStore"]
