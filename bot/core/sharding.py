"""Which process does which work when several bot processes share one database.

Two kinds of split, both pure arithmetic so every process reaches the same
answer without asking the others:

* Discord's gateway shards. A guild's events arrive on shard
  ``(guild_id >> 22) % shard_count``: the top bits of a snowflake are its
  creation time, so the guilds spread evenly. A process runs a range of shards,
  given on its command line or in its config as ``0-3`` or ``0-3,6``.
* Ownership of timed work (a schedule's posts, a round's reveal). Given the
  list of live processes, :func:`owner_of` names exactly one owner per item by
  rendezvous hashing: each process scores the item, the highest score owns it.
  Unlike ``hash(item) % n``, a process leaving moves only the items it owned,
  and one joining takes about ``1/n`` of the items, from every process alike,
  so a failover reschedules little. The scores come from BLAKE2b, not Python's
  ``hash()``, which is salted per process and would make processes disagree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

_SNOWFLAKE_TIME_SHIFT = 22
"""The low 22 bits of a Discord id are worker, process and counter; the rest
is milliseconds since Discord's epoch, which is what shards are cut on."""

_PART = re.compile(r"^\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?$")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The gateway shard that receives ``guild_id``'s events (Discord's formula)."""
    if shard_count < 1:
        raise ValueError(f"shard_count must be at least 1, not {shard_count}")
    if guild_id < 0:
        raise ValueError(f"a Discord id is never negative: {guild_id}")
    return (guild_id >> _SNOWFLAKE_TIME_SHIFT) % shard_count


def parse_shard_range(text: str, shard_count: int) -> list[int]:
    """The shards named by ``text``, in ascending order.

    ``text`` is a comma-separated list of shard numbers (``5``) and inclusive
    ranges (``0-3``), e.g. ``0-3,6``. Every shard must exist (``0`` to
    ``shard_count - 1``) and be named once; anything else is a ``ValueError``
    whose message says what was wrong and what is allowed, since it is shown to
    whoever wrote the setting.
    """
    if shard_count < 1:
        raise ValueError(f"shard_count must be at least 1, not {shard_count}")
    allowed = f"with {shard_count} shards they are numbered 0-{shard_count - 1}"
    if not text.strip():
        raise ValueError(
            "no shards given: write a shard number like 5, a range like 0-3, or a list like 0-3,6"
        )
    chosen: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"{text!r} has an empty item between commas")
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not a shard number or a range like 0-3")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ValueError(f"the range {first}-{last} runs backwards; write {last}-{first}")
        if last >= shard_count:
            raise ValueError(f"shard {last} does not exist: {allowed}")
        for shard in range(first, last + 1):
            if shard in chosen:
                raise ValueError(f"shard {shard} is named twice in {text!r}")
            chosen.add(shard)
    return sorted(chosen)


def _score(process: str, item_key: str) -> int:
    # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    name = process.encode("utf-8")
    data = len(name).to_bytes(4, "big") + name + item_key.encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def owner_of(item_key: str, live: Sequence[str]) -> str:
    """The live process that owns ``item_key`` (say ``"schedule:42"``).

    Depends only on the key and the set of live names, not their order, so
    every process that sees the same live list agrees without talking.
    """
    if not live:
        raise ValueError(f"no live process to own {item_key!r}")
    # Ties between 64-bit scores are all but impossible; the name settles them.
    return max(live, key=lambda process: (_score(process, item_key), process))


def assign(items: Iterable[str], live: Sequence[str]) -> dict[str, list[str]]:
    """Every item under its owner, in the order given; every live process is
    a key, with an empty list if it owns nothing."""
    processes = list(dict.fromkeys(live))
    if not processes:
        raise ValueError("no live process to assign work to")
    owned: dict[str, list[str]] = {process: [] for process in processes}
    for item in items:
        owned[owner_of(item, processes)].append(item)
    return owned
