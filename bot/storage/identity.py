"""Maps the domain's external ids (platform, space, channel, user) to integer keys.

Spaces and channels are never deleted, so their keys never change once made
and are cached. A key is cached as soon as its row is inserted, inside the
write transaction. If that transaction rolls back, the row is gone and SQLite
will hand the same key to the next new row, so :meth:`Identities.forget` must
run after every rollback; ``SqlStore`` registers it with
``Database.on_rollback``. The caches are only caches: emptying them costs one
query per key, the next time.

Users are cached too, but a cached key is checked again in every write
transaction that uses it. Erasing someone (``privacy delete``) deletes their
row, and the process that does it may be another bot worker or the command
line: an unchecked key would then point at no row (a foreign-key error that
fails a whole batch of answers) or, on SQLite, which hands an erased top key
to the next new row, at someone else, who would be credited with these
answers. The check is one query by primary key for a whole batch; on
PostgreSQL it also holds the rows (``FOR KEY SHARE``) until the transaction
commits, so an erasure running at that moment waits instead of failing it.
Reads (:meth:`Identities.find_user`) look the user up afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from bot.core.models import ChannelRef, SpaceKey, UserRef
from bot.storage.sql import Connection

SQL_PARAMS_PER_CHUNK = 500
USERS_PER_UPSERT = 300  # three parameters a row, well under SQLite's 32,766
T = TypeVar("T")


def chunks(items: list[T], size: int = SQL_PARAMS_PER_CHUNK) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(count: int, width: int = 1) -> str:
    """``?, ?, ?`` for an IN list, or ``(?, ?), (?, ?)`` for multi-row VALUES
    when ``width`` > 1; only counts are ever interpolated, never data."""
    if width == 1:
        return ", ".join("?" * count)
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


class Identities:
    def __init__(self) -> None:
        self._spaces: dict[SpaceKey, int] = {}
        self._channels: dict[ChannelRef, int] = {}
        self._users: dict[tuple[str, str], tuple[int, str]] = {}

    def forget(self) -> None:
        """Drop every cached key. Call after a write transaction rolls back:
        keys of rows it inserted no longer exist and will be reused."""
        self._spaces.clear()
        self._channels.clear()
        self._users.clear()

    async def space_id(self, conn: Connection, key: SpaceKey) -> int:
        """Create on first sight. Call only inside a write transaction."""
        if key in self._spaces:
            return self._spaces[key]
        await conn.execute(
            "INSERT INTO spaces (platform, external_id) VALUES (?, ?) ON CONFLICT DO NOTHING", key
        )
        found = await self.find_space(conn, key)
        assert found is not None
        return found

    async def find_space(self, conn: Connection, key: SpaceKey) -> int | None:
        if key in self._spaces:
            return self._spaces[key]
        async with conn.execute(
            "SELECT id FROM spaces WHERE platform = ? AND external_id = ?", key
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        self._spaces[key] = int(row[0])
        return self._spaces[key]

    async def channel_id(self, conn: Connection, channel: ChannelRef) -> int:
        if channel in self._channels:
            return self._channels[channel]
        space = await self.space_id(conn, channel.space_key)
        await conn.execute(
            "INSERT INTO channels (space_id, external_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (space, channel.channel),
        )
        found = await self.find_channel(conn, channel)
        assert found is not None
        return found

    async def find_channel(self, conn: Connection, channel: ChannelRef) -> int | None:
        if channel in self._channels:
            return self._channels[channel]
        async with conn.execute(
            "SELECT c.id FROM channels c JOIN spaces s ON s.id = c.space_id "
            "WHERE s.platform = ? AND s.external_id = ? AND c.external_id = ?",
            (channel.platform, channel.space, channel.channel),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        self._channels[channel] = int(row[0])
        return self._channels[channel]

    async def user_ids(
        self, conn: Connection, users: Iterable[UserRef]
    ) -> dict[tuple[str, str], int]:
        """Create or rename users as needed; returns (platform, external id) -> key.
        Call only inside a write transaction."""
        wanted = {(u.platform, u.external_id): u.name for u in users}
        cached = {key: self._users[key][0] for key in wanted if key in self._users}
        if cached:
            for key in cached.keys() - await _still_theirs(conn, cached):
                del self._users[key]  # erased, maybe by another process: made again below
        stale = [
            (platform, ext, name)
            for (platform, ext), name in wanted.items()
            if (platform, ext) not in self._users
            or (name and self._users[(platform, ext)][1] != name)
        ]
        for part in chunks(stale, USERS_PER_UPSERT):
            # One multi-row upsert that hands back the keys: half the cost of an
            # executemany followed by reading the rows back. The CASE keeps a
            # known name when the platform sent none, while still returning the row.
            async with conn.execute(
                f"INSERT INTO users (platform, external_id, display_name) VALUES {placeholders(len(part), width=3)} "  # noqa: S608
                "ON CONFLICT (platform, external_id) DO UPDATE SET display_name = CASE "
                "WHEN excluded.display_name != '' THEN excluded.display_name "
                "ELSE users.display_name END RETURNING id, platform, external_id, display_name",
                [value for row in part for value in row],
            ) as cursor:
                for row in await cursor.fetchall():
                    self._users[(row[1], row[2])] = (int(row[0]), row[3])
        return {key: self._users[key][0] for key in wanted}

    async def user_id(self, conn: Connection, user: UserRef) -> int:
        return (await self.user_ids(conn, [user]))[(user.platform, user.external_id)]

    async def find_user(self, conn: Connection, user: UserRef) -> int | None:
        """The user's key, read afresh: a cached one may have been erased since."""
        async with conn.execute(
            "SELECT id FROM users WHERE platform = ? AND external_id = ?",
            (user.platform, user.external_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None


async def _still_theirs(
    conn: Connection, cached: dict[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """Which cached keys still belong to their user. Looked up by key, the
    cheapest probe there is; a missing row or someone else's row (SQLite hands
    an erased top key to the next new user) means the entry is stale. On
    PostgreSQL the rows found stay locked until the transaction ends."""
    current: set[tuple[str, str]] = set()
    for part in chunks(list(cached.values())):
        async with conn.execute(
            f"SELECT id, platform, external_id FROM users WHERE id IN ({placeholders(len(part))}) "  # noqa: S608
            "/*pg: FOR KEY SHARE*/",
            part,
        ) as cursor:
            for row in await cursor.fetchall():
                key = (row[1], row[2])
                if cached.get(key) == int(row[0]):
                    current.add(key)
    return current
