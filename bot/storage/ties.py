"""Keeping ``tie_blocks`` short enough that a rank behind a tie stays cheap.

Triggers on ``scores`` (migration 0004) count users into the block their
(reached_at, user_id) falls in; they cannot split a block, so the reveal does:
after each step, any block over :data:`BLOCK_LIMIT` users is cut into blocks of
:data:`BLOCK_SIZE`. A caller's rank then counts at most one block's users one by
one, plus one row per earlier block and per higher total.
"""

from __future__ import annotations

from bot.storage.sql import Connection

BLOCK_LIMIT = 1024
"""A block over this many users is split; the partial index tie_blocks_full
(migration 0004) carries the same literal, so the search below is an index
lookup, not a scan of every block."""
BLOCK_SIZE = 512


async def split_full_blocks(conn: Connection) -> int:
    """Split every block over the limit, inside the caller's transaction; returns
    how many blocks were added."""
    async with conn.execute(
        "SELECT space_id, channel_id, period, points, lo_reached, lo_user, users "
        "FROM tie_blocks WHERE users > 1024"
    ) as cursor:
        full = [tuple(row) async for row in cursor]
    added = 0
    for space_id, channel_id, period, points, lo_reached, lo_user, users in full:
        # The block's users are the first `users` at or after its lower bound.
        async with conn.execute(
            "SELECT reached_at, user_id FROM scores WHERE space_id = ? AND channel_id = ? "
            "AND period = ? AND points = ? AND (reached_at, user_id) >= (?, ?) "
            "ORDER BY reached_at, user_id LIMIT ?",
            (space_id, channel_id, period, points, lo_reached, lo_user, users),
        ) as cursor:
            keys = [(row[0], int(row[1])) async for row in cursor]
        await conn.execute(
            "UPDATE tie_blocks SET users = ? WHERE space_id = ? AND channel_id = ? "
            "AND period = ? AND points = ? AND lo_reached = ? AND lo_user = ?",
            (
                min(BLOCK_SIZE, len(keys)),
                space_id,
                channel_id,
                period,
                points,
                lo_reached,
                lo_user,
            ),
        )
        await conn.executemany(
            "INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, "
            "lo_user, users) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    space_id,
                    channel_id,
                    period,
                    points,
                    *keys[start],
                    min(BLOCK_SIZE, len(keys) - start),
                )
                for start in range(BLOCK_SIZE, len(keys), BLOCK_SIZE)
            ],
        )
        added += (len(keys) - 1) // BLOCK_SIZE
    return added
