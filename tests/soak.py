"""A long run of daily questions on a controlled clock, through the real adapters.

Many channels, most on Discord and some in the terminal, each with a daily
schedule. Every simulated day each schedule posts through its adapter, members
answer (Discord: gateway click payloads through discord.py's own dispatch and
the real ``AnswerButton``; terminal: a ``Console`` reading a letter), and the
reveal jobs close the rounds. Only Discord's HTTP edge is faked, and what the
bot sends there is tallied as it arrives instead of kept, so the harness's own
memory stays flat and the bot's memory can be measured over months of days.

Shared by ``bench/soak.py`` (the figures, up to a year of 1,000 channels) and
``tests/test_soak.py`` (a short run in CI).
"""

from __future__ import annotations

import _sqlite3
import asyncio
import ctypes
import gc
import math
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine

from bench.common import percentile, rss_mb
from bot.adapters.discord.ids import PLATFORM as DISCORD
from bot.adapters.terminal import Console, TerminalPlatform
from bot.adapters.terminal.platform import PLATFORM as TERMINAL
from bot.app import Runtime, load_question_bank
from bot.config import Settings
from bot.core.models import ChannelRef
from tests.discord_adapter.fakes import FakeDiscord
from tests.discord_adapter.world import MANAGER, DiscordWorld, custom_ids, guild_payload, text_of
from tests.helpers import Harness

START = datetime(2026, 1, 5, tzinfo=UTC)
"""A Monday: a year from here crosses both daylight-saving changes of every zone."""
POST_AT = "09:00"
REVEAL_AFTER = timedelta(minutes=20)
# 09:00 local is 03:30, 07:00/08:00, 09:00 and 13:00/14:00 UTC: every post
# lands on :00 or :30 and every reveal on :20 or :50, so no clock step mixes
# posts with reveals and each can be timed on its own. The weekly recaps fire
# at each zone's Monday midnight, also apart from both.
ZONES = ("Asia/Kolkata", "Europe/Berlin", "UTC", "America/New_York")
ANSWER_PAUSE = timedelta(minutes=1)
REPLY_LIMIT_S = 30
ODDITIES_KEPT = 5
"""Members answer a minute after the post, so answers are not stamped at the post instant."""

GUILD_BASE = 911_000_000_000_000_000
CHANNEL_BASE = 921_000_000_000_000_000
MEMBER_BASE = 961_000_000_000_000_000

QUESTION = re.compile(r"(?:── )?Daily question #(\d+)")
REVEAL = re.compile(r"(?:Answer to question|── Reveal) #(\d+)")


@dataclass(frozen=True, slots=True)
class Shape:
    channels: int = 1000
    days: int = 365
    answers: int = 20
    """Members who answer each round."""
    spare_members: int = 5
    """Each channel has ``answers + spare_members`` members; a random few sit
    each day out, so streaks break and freezes get used."""
    terminal_every: int = 20
    """Every n-th channel is a terminal channel, the rest are on Discord."""
    channels_per_server: int = 10
    real_bank: bool = False
    """The shipped question bank (realistic row sizes) instead of the small test bank."""
    cache_mb: int | None = None
    """SQLite's page cache per connection; None keeps the configured default."""
    seed: int = 15

    @property
    def members(self) -> int:
        return self.answers + self.spare_members

    def describe(self) -> str:
        cache = f", {self.cache_mb} MB page cache" if self.cache_mb is not None else ""
        return f"{self.channels} channels x {self.days} days x {self.answers} answers{cache}"


@dataclass(frozen=True, slots=True)
class Channel:
    index: int
    platform: str
    space: int
    channel: int
    zone: str

    @property
    def ref(self) -> ChannelRef:
        return ChannelRef(self.platform, str(self.space), str(self.channel))

    def member(self, n: int) -> tuple[int, str]:
        """A member's Discord id (or terminal key) and display name."""
        return MEMBER_BASE + self.index * 1000 + n, f"m{self.index}-{n}"


def channels_of(shape: Shape) -> list[Channel]:
    made = []
    for i in range(shape.channels):
        server = i // shape.channels_per_server
        platform = TERMINAL if (i + 1) % shape.terminal_every == 0 else DISCORD
        made.append(
            Channel(i, platform, GUILD_BASE + server, CHANNEL_BASE + i, ZONES[server % len(ZONES)])
        )
    return made


@dataclass
class TallyingDiscord(FakeDiscord):
    """FakeDiscord that counts what arrives instead of keeping every call.

    ``keep_calls`` keeps them as FakeDiscord does, for the set-up commands whose
    replies are read back. Afterwards only counts, the question messages still
    to be clicked, and the acknowledgement times of the clicks in flight are held.
    """

    keep_calls: bool = True
    questions: Counter[tuple[int, int]] = field(default_factory=Counter)
    """(channel, round id) -> question posts seen, this day."""
    reveals: Counter[tuple[int, int]] = field(default_factory=Counter)
    recaps: int = 0
    edits_seen: int = 0
    unexpected: list[str] = field(default_factory=list)
    to_click: list[dict[str, Any]] = field(default_factory=list)
    """Question messages posted since the last clicks, as a click carries them back."""
    waiting: dict[str, float] = field(default_factory=dict)
    """Interaction id -> when its payload was delivered, for clicks not yet answered."""
    latencies_ms: list[float] = field(default_factory=list)
    replies: Counter[str] = field(default_factory=Counter)
    all_answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def _record(self, method: str, path: str, payload: dict[str, Any] | None) -> None:
        if self.keep_calls:
            await super()._record(method, path, payload)
            return
        if path.endswith("/callback"):
            interaction = path.split("/")[2]
            sent = self.waiting.pop(interaction, None)
            if sent is None:
                self.unexpected.append(f"reply to an interaction nobody sent: {path}")
                return
            self.latencies_ms.append((time.perf_counter() - sent) * 1000)
            content = ((payload or {}).get("data") or {}).get("content") or ""
            self.replies["locked" if content.startswith("Locked in") else content[:60]] += 1
            if not self.waiting:
                self.all_answered.set()
        elif method == "PATCH":
            self.edits_seen += 1
        elif method != "POST" or not path.endswith("/messages"):
            self.unexpected.append(f"{method} {path}")

    async def http_request(self, route: Any, **kwargs: Any) -> Any:
        answer = await super().http_request(route, **kwargs)
        if self.keep_calls or route.method != "POST" or not route.url.endswith("/messages"):
            return answer
        title = ((answer.get("embeds") or [{}])[0]).get("title") or ""
        channel = int(answer["channel_id"])
        if found := QUESTION.match(title):
            self.questions[(channel, int(found[1]))] += 1
            self.to_click.append(answer)
        elif found := REVEAL.match(title):
            self.reveals[(channel, int(found[1]))] += 1
        elif title.startswith("Weekly recap"):
            self.recaps += 1
        else:
            self.unexpected.append(f"a message titled {title!r}")
        return answer


@dataclass
class TerminalScreen:
    """The terminal's output, read the way the Discord edge is: counted as it is written."""

    questions: Counter[int] = field(default_factory=Counter)
    reveals: Counter[int] = field(default_factory=Counter)
    recaps: int = 0
    to_answer: list[int] = field(default_factory=list)
    replies: Counter[str] = field(default_factory=Counter)

    def write(self, text: str) -> None:
        if found := QUESTION.match(text):
            self.questions[int(found[1])] += 1
            self.to_answer.append(int(found[1]))
        elif found := REVEAL.match(text):
            self.reveals[int(found[1])] += 1
        elif text.startswith("── Weekly recap"):
            self.recaps += 1
        elif text.startswith("(answering closed"):
            pass
        else:
            self.replies["locked" if text.startswith("Locked in") else text[:60]] += 1


@dataclass
class Day:
    """What one simulated day did, in counts and timings (no per-answer lists kept)."""

    number: int
    date: date
    questions: int = 0
    reveals: int = 0
    recaps: int = 0
    missed_posts: int = 0
    doubled_posts: int = 0
    missed_reveals: int = 0
    doubled_reveals: int = 0
    edits: int = 0
    """Discord messages edited: each round's buttons are closed at its reveal."""
    answers_sent: int = 0
    answers_locked: int = 0
    answers_refused: int = 0
    answers_lost: int = 0
    """Clicks that got no reply at all within ``REPLY_LIMIT``."""
    oddities: list[str] = field(default_factory=list)
    """A sample of refusals and calls the edge did not expect, to say what went wrong."""
    click_p50_ms: float = math.nan
    click_p99_ms: float = math.nan
    terminal_p99_ms: float = math.nan
    post_s: float = 0.0
    reveal_s: float = 0.0
    # CPU seconds of this process (the SQLite thread included) for the same
    # work: unlike wall time, other programs on the machine do not move them.
    post_cpu_s: float = 0.0
    reveal_cpu_s: float = 0.0
    click_cpu_s: float = 0.0
    clicks: int = 0
    wall_s: float = 0.0
    rss_mb: float | None = None
    sqlite_mb: float | None = None
    """SQLite's own heap (page caches above all), part of ``rss_mb``."""
    python_blocks: int | None = None
    """Memory blocks Python's allocator has handed out and not had back."""
    view_store: dict[str, int] | None = None

    @property
    def reveal_ms_per_round(self) -> float:
        return 1000 * self.reveal_s / self.reveals if self.reveals else math.nan

    @property
    def post_ms_per_round(self) -> float:
        return 1000 * self.post_s / self.questions if self.questions else math.nan

    @property
    def reveal_cpu_ms_per_round(self) -> float:
        return 1000 * self.reveal_cpu_s / self.reveals if self.reveals else math.nan

    @property
    def post_cpu_ms_per_round(self) -> float:
        return 1000 * self.post_cpu_s / self.questions if self.questions else math.nan

    @property
    def click_cpu_ms_per_answer(self) -> float:
        return 1000 * self.click_cpu_s / self.clicks if self.clicks else math.nan


def sqlite_heap_mb() -> float:
    """Bytes SQLite has allocated in this process (``sqlite3_memory_used``), read
    from the library the ``sqlite3`` module is linked to. The page cache of each
    connection fills towards ``database.cache_mb`` as the file grows, which is
    bounded growth by design; this separates it from memory held elsewhere."""
    library = ctypes.CDLL(_sqlite3.__file__)
    used = library.sqlite3_memory_used
    used.restype = ctypes.c_int64
    return int(used()) / (1024 * 1024)


class SoakHarness(Harness):
    """The shared Harness, with the page cache size the soak asks for."""

    def __init__(self, db_path: Path, traveller: time_machine.Traveller, cache_mb: int | None):
        super().__init__(db_path, traveller)
        self.cache_mb = cache_mb

    def settings(self) -> Settings:
        chosen = super().settings()
        if self.cache_mb is None:
            return chosen
        database = chosen.database.model_copy(update={"cache_mb": self.cache_mb})
        return chosen.model_copy(update={"database": database})


class Soak:
    """One bot process with ``shape.channels`` scheduled channels; ``run()`` plays the days."""

    def __init__(self, shape: Shape, folder: Path, traveller: time_machine.Traveller) -> None:
        self.shape = shape
        self.path = folder / "soak.sqlite3"
        self.harness = SoakHarness(self.path, traveller, shape.cache_mb)
        if shape.real_bank:
            self.harness.bank = load_question_bank(Settings())
        self.discord = TallyingDiscord()
        self.world = DiscordWorld(self.harness, self.discord)
        self.screen = TerminalScreen()
        self.channels = channels_of(shape)
        self.by_ref = {c.ref: c for c in self.channels}
        self.rng = random.Random(shape.seed)
        self.days: list[Day] = []
        servers: dict[int, list[int]] = {}
        for c in self.channels:
            if c.platform == DISCORD:
                servers.setdefault(c.space, []).append(c.channel)
        self.world.extra_guilds = [guild_payload(g, ids) for g, ids in servers.items()]
        self.harness.before_start.append(self._attach_terminal)

    async def _attach_terminal(self, runtime: Runtime) -> None:
        runtime.platforms[TERMINAL] = TerminalPlatform(self.screen.write)

    @property
    def runtime(self) -> Runtime:
        assert self.harness.runtime is not None
        return self.harness.runtime

    def console(self, channel: Channel, name: str) -> Console:
        return Console(
            self.harness.services,
            self.screen.write,
            user_name=name,
            space=str(channel.space),
            channel_name=str(channel.channel),
        )

    # -- set-up -------------------------------------------------------------------
    async def start(self) -> None:
        """Start the bot and give every channel its schedule through its own adapter."""
        self.harness.traveller.move_to(START)
        await self.harness.start()
        reveal = f"{int(REVEAL_AFTER.total_seconds() // 60)}m"
        for c in self.channels:
            if c.platform == DISCORD:
                responses = await self.world.command(
                    "daily setup",
                    permissions=MANAGER,
                    guild_id=c.space,
                    channel_id=c.channel,
                    channel=c.channel,
                    time_of_day=POST_AT,
                    timezone=c.zone,
                    reveal_after=reveal,
                )
                said = text_of(responses[-1])
            else:
                printed: list[str] = []
                console = Console(
                    self.harness.services,
                    printed.append,
                    space=str(c.space),
                    channel_name=str(c.channel),
                )
                await console.handle(f"/daily setup {POST_AT} {c.zone} reveal={reveal}")
                said = "\n".join(printed)
            assert "scheduled" in said, f"setting up channel {c.index} failed: {said}"
        self.discord.keep_calls = False
        self.discord.calls.clear()

    async def stop(self) -> None:
        if self.world.client is not None:
            await self.world.client.close()
        await self.harness.stop()

    # -- the days -----------------------------------------------------------------
    async def run(self, checkpoints: set[int] | None = None) -> list[Day]:
        """Play ``shape.days`` days; at each checkpoint day, collect garbage and
        measure resident memory and discord.py's view store."""
        for number in range(1, self.shape.days + 1):
            day = await self.day(number)
            if checkpoints is not None and number in checkpoints:
                gc.collect()
                day.rss_mb = rss_mb()
                day.sqlite_mb = sqlite_heap_mb()
                day.python_blocks = sys.getallocatedblocks()
                day.view_store = self.view_store()
        return self.days

    async def day(self, number: int) -> Day:
        began = time.perf_counter()
        today = (START + timedelta(days=number - 1)).date()
        end = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
        day = Day(number, today)
        clicks: list[float] = []
        typed: list[float] = []
        scheduler = self.runtime.scheduler
        while True:
            times = [j.next_run_time for j in scheduler.get_jobs() if j.next_run_time is not None]
            upcoming = min(times, default=None)
            if upcoming is None or upcoming >= end:
                break
            kinds = {
                j.id.split(":")[0] for j in scheduler.get_jobs() if j.next_run_time == upcoming
            }
            questions_before = sum(self.discord.questions.values()) + len(self.screen.to_answer)
            step, step_cpu = time.perf_counter(), time.process_time()
            await self.harness.move_to(upcoming)
            spent, spent_cpu = time.perf_counter() - step, time.process_time() - step_cpu
            if kinds == {"post"}:
                posted = sum(self.discord.questions.values()) + len(self.screen.to_answer)
                if posted > questions_before:
                    day.post_s += spent
                    day.post_cpu_s += spent_cpu
            elif kinds == {"reveal"}:
                day.reveal_s += spent
                day.reveal_cpu_s += spent_cpu
            if self.discord.to_click or self.screen.to_answer:
                await self.harness.advance(ANSWER_PAUSE)
                await self._answer_discord(day, clicks)
                await self._answer_terminal(day, typed)
        await self.harness.move_to(end)
        day.click_p50_ms = percentile(clicks, 50)
        day.click_p99_ms = percentile(clicks, 99)
        day.terminal_p99_ms = percentile(typed, 99)
        await self._check(day)
        day.wall_s = time.perf_counter() - began
        self.days.append(day)
        return day

    async def _answer_discord(self, day: Day, latencies: list[float]) -> None:
        """Each posted question gets ``shape.answers`` clicks from its own members at
        once, as gateway payloads; one channel's burst is answered before the next."""
        state = self.world.bot._connection
        messages, self.discord.to_click = self.discord.to_click, []
        for message in messages:
            channel_id = int(message["channel_id"])
            channel = self.channels[channel_id - CHANNEL_BASE]
            buttons = custom_ids(message)
            who = self.rng.sample(range(self.shape.members), self.shape.answers)
            payloads = []
            for n in who:
                user_id, name = channel.member(n)
                payloads.append(
                    self.world.click_payload(
                        message,
                        self.rng.choice(buttons),
                        user_id=user_id,
                        name=name,
                        guild_id=channel.space,
                        channel_id=channel.channel,
                    )
                )
            self.discord.latencies_ms = latencies
            self.discord.all_answered.clear()
            began = time.process_time()
            for payload in payloads:
                self.discord.waiting[payload["id"]] = time.perf_counter()
                state.parse_interaction_create(payload)  # type: ignore[arg-type]
            try:
                async with asyncio.timeout(REPLY_LIMIT_S):
                    await self.discord.all_answered.wait()
            except TimeoutError:
                day.answers_lost += len(self.discord.waiting)
                self.discord.waiting.clear()
            day.click_cpu_s += time.process_time() - began
            day.clicks += len(payloads)
            day.answers_sent += len(payloads)

    async def _answer_terminal(self, day: Day, latencies: list[float]) -> None:
        """Terminal members type a letter, each at their own console, all at once."""
        round_ids, self.screen.to_answer = self.screen.to_answer, []
        for round_id in round_ids:
            round_ = await self.runtime.store.get_round(round_id)
            assert round_ is not None
            channel = self.by_ref[round_.channel]
            letters = round_.question.letters()
            who = self.rng.sample(range(self.shape.members), self.shape.answers)

            consoles = [self.console(channel, channel.member(n)[1]) for n in who]
            await asyncio.gather(
                *(self._type(c, self.rng.choice(letters), latencies) for c in consoles)
            )
            day.answers_sent += len(who)

    @staticmethod
    async def _type(console: Console, letter: str, latencies: list[float]) -> None:
        began = time.perf_counter()
        await console.handle(letter)
        latencies.append((time.perf_counter() - began) * 1000)

    # -- the day's books ----------------------------------------------------------
    async def _check(self, day: Day) -> None:
        """Every channel got exactly one question and one reveal today, each matching
        the one scheduled round the database holds for it; and every answer was
        acknowledged as locked in."""
        rows = await self.runtime.db.reader.execute_fetchall(
            "SELECT r.id, c.external_id, r.status FROM rounds r "
            "JOIN channels c ON c.id = r.channel_id "
            "WHERE r.round_date = ? AND r.kind = 'scheduled'",
            (day.date.isoformat(),),
        )
        table: dict[int, list[int]] = {}
        for round_id, channel, status in rows:
            table.setdefault(int(channel), []).append(int(round_id))
            if status != "revealed":
                day.oddities.append(f"round {round_id} is still {status} at the day's end")
        posted: Counter[int] = Counter()
        revealed: Counter[int] = Counter()
        for (channel, round_id), n in self.discord.questions.items():
            posted[round_id] += n
            if round_id not in table.get(channel, []):
                day.oddities.append(f"round {round_id} was posted in {channel}, not on record")
        for (_, round_id), n in self.discord.reveals.items():
            revealed[round_id] += n
        posted.update(self.screen.questions)
        revealed.update(self.screen.reveals)
        for c in self.channels:
            today = table.get(c.channel, [])
            shown = [posted[r] for r in today]
            day.missed_posts += 0 if sum(shown) else 1
            day.doubled_posts += max(0, sum(shown) - 1) + max(0, len(today) - 1)
            said = [revealed[r] for r in today]
            day.missed_reveals += 0 if sum(said) else 1
            day.doubled_reveals += max(0, sum(said) - 1)
        on_record = {r for ids in table.values() for r in ids}
        day.doubled_posts += sum(n for r, n in posted.items() if r not in on_record)
        day.questions = sum(posted.values())
        day.reveals = sum(revealed.values())
        day.recaps = self.discord.recaps + self.screen.recaps
        day.answers_locked = self.discord.replies.pop("locked", 0) + self.screen.replies.pop(
            "locked", 0
        )
        refused = self.discord.replies + self.screen.replies
        day.answers_refused = sum(refused.values())
        day.oddities += [f"answer refused: {text!r}" for text in refused]
        day.oddities += self.discord.unexpected
        del day.oddities[ODDITIES_KEPT:]
        day.edits = self.discord.edits_seen
        self.discord.edits_seen = 0
        self.discord.unexpected.clear()
        self.discord.replies.clear()
        self.screen.replies.clear()
        self.discord.questions.clear()
        self.discord.reveals.clear()
        self.discord.recaps = 0
        self.screen.questions.clear()
        self.screen.reveals.clear()
        self.screen.recaps = 0

    def view_store(self) -> dict[str, int]:
        """What discord.py keeps per message: views by message (``_views``,
        ``_synced_message_views``) and the dynamic-item patterns (fixed)."""
        store = self.world.bot._connection._view_store
        return {
            "views": sum(len(items) for items in store._views.values()),
            "message_views": len(store._synced_message_views),
            "dynamic_patterns": len(store._dynamic_items),
            "modals": len(store._modals),
        }

    def database_bytes(self) -> int:
        """The database file plus its write-ahead log."""
        wal = self.path.with_name(self.path.name + "-wal")
        return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def table_sizes(path: Path) -> dict[str, int]:
    """Bytes on disk per table, its indexes included, from SQLite's ``dbstat``.
    Read from a closed database, so the write-ahead log is already merged."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        owner = dict(
            conn.execute(
                "SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"
            ).fetchall()
        )
        sizes: Counter[str] = Counter()
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            sizes[owner.get(name, name)] += int(size)
    return dict(sizes)


COUNTS = {
    "answers": "SELECT COUNT(*) FROM answers",
    "scored": "SELECT COUNT(*) FROM answers WHERE points IS NOT NULL",
    "rounds": "SELECT COUNT(*) FROM rounds",
    "scores": "SELECT COUNT(*) FROM scores",
}


def count_rows(path: Path, what: str) -> int:
    """One of ``COUNTS``, read from a closed database."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute(COUNTS[what]).fetchone()[0])


def typical(days: Sequence[Day], attribute: str) -> float:
    """The median over ``days`` of one daily figure: a week's typical p99 is steadier
    than one day's, which a single garbage collection or WAL checkpoint can move."""
    values = [getattr(d, attribute) for d in days]
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan
