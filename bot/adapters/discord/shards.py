"""Which Discord gateway shards this process runs, from ``--shards``/``--shard-count``.

Kept free of discord.py so the command line can check the options, and exit
with one line saying what is allowed, before anything is imported, opened or
connected. The arithmetic itself is :mod:`bot.core.sharding`'s, shared with
whatever else needs to know which process hears which server.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.sharding import parse_shard_range

SHARDS_NEED_COUNT = (
    "--shards (discord.shards) needs --shard-count (discord.shard_count), the total number "
    "of shards across every process, e.g. --shards 0-3 --shard-count 8"
)


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Shards ``ids`` out of ``count`` in all; Discord routes a server's events
    to shard ``(guild_id >> 22) % count``, and every direct message to shard 0."""

    ids: tuple[int, ...]
    count: int

    @property
    def label(self) -> str:
        """``0-3 of 8``, ``0-3,6 of 8``: short enough for a log line or status output."""
        return f"{compact(self.ids)} of {self.count}"

    @property
    def hears_direct_messages(self) -> bool:
        """Only shard 0 receives DMs and other interactions without a server."""
        return 0 in self.ids


def compact(ids: tuple[int, ...]) -> str:
    """Ascending shard numbers written as ranges: (0, 1, 2, 3, 6) -> ``0-3,6``."""
    runs: list[list[int]] = []
    for shard in ids:
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


MAX_SHARD_COUNT = 65_536
"""Far beyond any bot's need (Discord asks for one shard per 1,000-2,500
servers); it keeps a typo like 80000000 from listing millions of shards."""


def _count(value: int | str) -> int:
    text = str(value).strip()
    count = int(text) if text.isdecimal() else 0
    if not 1 <= count <= MAX_SHARD_COUNT:
        raise ValueError(
            f"--shard-count must be a whole number from 1 to {MAX_SHARD_COUNT:,} (the total "
            f"number of shards across every process), not {text!r}"
        )
    return count


def plan_shards(shards: str | None, shard_count: int | str | None) -> ShardPlan | None:
    """The plan for ``shards`` of ``shard_count``, or None to run unsharded.

    * neither given: None, one gateway connection for every server (the default);
    * a count alone: every shard of that count, all in this process;
    * both: those shards only, the other processes running the rest.

    A ``ValueError`` says, in one line for a person, what is wrong and allowed.
    """
    text = (shards or "").strip()
    if shard_count is None or (isinstance(shard_count, str) and not shard_count.strip()):
        if text:
            raise ValueError(SHARDS_NEED_COUNT)
        return None
    count = _count(shard_count)
    if not text:
        return ShardPlan(tuple(range(count)), count)
    try:
        ids = parse_shard_range(text, count)
    except ValueError as exc:
        raise ValueError(f"--shards {text} with --shard-count {count}: {exc}") from None
    return ShardPlan(tuple(ids), count)
