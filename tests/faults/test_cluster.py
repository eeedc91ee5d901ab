"""Several real bot processes on one PostgreSQL database, killed for real.

tests/test_ownership.py runs the cluster inside one process and "kills" a
member by dropping it; here each member is its own OS process
(``cluster_driver``) and a kill is SIGKILL, so whatever was in flight (a post
the platform never answered, a batch of answers being committed, an open
transaction) is cut where it stood. Three processes share 300 schedules over
25 spaces for four simulated days, moved in lockstep on a clock the test
controls:

* Monday: an ordinary day, answers arriving at processes that do not own
  the round.
* Tuesday: one process is killed in the middle of its 08:30 posts: a few
  went out, a few are on screen but the platform never answered, a few were
  claimed and wait for a post slot, the rest were never claimed (the driver's
  ``Stall`` makes that mix exact). Until its lease runs out nobody touches its
  work; then the others adopt its channels, catch up the posts it never began
  and reveal every round it claimed, without posting any of them again.
* Wednesday: a replacement process joins, and another is killed in the
  middle of an answer burst, while a survivor takes answers for the same
  round from the same users.
* Thursday: an ordinary day with the two processes left.

Afterwards the database and the children's printed events must agree: one
round per channel and date, every one revealed once; no question shown twice;
every acknowledged answer stored, once, with its letter, and scored once.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import IO

import pytest
import time_machine

from bot.app import build_runtime
from bot.config import DatabaseSettings, Settings
from bot.core.models import ChannelRef
from bot.core.ownership import channel_key, owner_among
from tests.faults.support import CHILD_LIMIT_S, ROOT, child_env, peek
from tests.helpers import MONDAY_8AM, small_bank

SCHEDULES = 300
SPACES = 25
POST_TIMES = ("08:30", "09:00")
LEASE = timedelta(seconds=30)
DAYS = 4
MONDAY = MONDAY_8AM.date()
REGULARS = ("chan-0", "chan-50", "chan-100")
"""Channels of space-0 posting at 08:30, where the same users answer every day."""
MAX_POSTS = 3
"""Post calls in flight at once in each process (``game.max_concurrent_posts``)."""
POSTS_BEFORE_HANG = 5
"""Posts the first victim makes normally before its post calls stop returning."""
CLAIMS_BEFORE_HANG = 15
"""Rounds it claims before its claims stop reaching the database. Of these,
the first POSTS_BEFORE_HANG are posted, MAX_POSTS hang on screen, and the rest
wait for a post slot; its channels after those never get a claim."""
KILL_AFTER_ACKS = 300
"""Acknowledged answers the second victim prints before it is killed."""
EVENTS = frozenset(
    {"post", "hung", "stalled", "reveal", "ack", "again", "closed", "unexpected", "logged"}
)
"""Lines a child prints as things happen, as opposed to replies to commands."""


def at(day: int, clock: str) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), time.fromisoformat(clock), UTC)


def all_channels() -> list[ChannelRef]:
    return [ChannelRef("test", f"space-{i % SPACES}", f"chan-{i}") for i in range(SCHEDULES)]


def owners(channels: Iterable[ChannelRef], names: Iterable[str]) -> dict[str, str]:
    """Channel -> the process that must own it, computed here independently of
    the children: the same rendezvous hash over the live names."""
    live = {name: frozenset({"test"}) for name in names}
    found = {}
    for channel in channels:
        owner = owner_among(channel_key(channel), "test", live)
        assert owner is not None
        found[channel.channel] = owner
    return found


class Child:
    """One driver process and everything it printed."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, errors: Path) -> None:
        self.name = name
        self.process = process
        self.errors = errors
        self.events: list[list[str]] = []
        """Every complete line, split, in order (replies included)."""
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while raw := await stream.readline():
            if not raw.endswith(b"\n"):
                break  # torn by the kill: never a complete statement
            line = raw.decode().strip()
            self.events.append(line.split())
            await self.lines.put(line)
        await self.lines.put(None)

    def stderr(self) -> str:
        return self.errors.read_text("utf-8", errors="replace")[-4000:]

    async def send(self, command: str) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(f"{command}\n".encode())
        await stdin.drain()

    async def expect(self, *words: str) -> str:
        """The next line that starts with one of ``words``. Event lines before
        it are passed over (the pump has kept them); any other reply fails."""
        while True:
            line = await asyncio.wait_for(self.lines.get(), CHILD_LIMIT_S)
            if line is None:
                raise AssertionError(
                    f"{self.name} ended while we waited for {words}:\n{self.stderr()}"
                )
            word = line.split()[0]
            if word in words:
                return line
            if word not in EVENTS:
                raise AssertionError(f"{self.name} said {line!r} while we waited for {words}")

    async def command(self, command: str, reply: str = "ok") -> str:
        await self.send(command)
        return await self.expect(reply)

    async def kill(self) -> None:
        """kill -9, then read what it printed before dying."""
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), CHILD_LIMIT_S)
        await asyncio.wait_for(self.pump, CHILD_LIMIT_S)
        assert self.process.returncode == -signal.SIGKILL

    def said(self, word: str, since: int = 0) -> list[list[str]]:
        """The lines starting with ``word``, from the ``since``-th line on."""
        return [event for event in self.events[since:] if event[0] == word]


class Cluster:
    """The children alive and dead, moved and ticked in lockstep."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.live: dict[str, Child] = {}
        self.dead: dict[str, Child] = {}
        self.stderr: list[IO[bytes]] = []
        self.late = 0
        """Posts made late by a renewal that adopted a schedule, so far."""

    async def spawn(self, names: Iterable[str], instant: datetime) -> None:
        env = child_env()
        env["STUDYBOT_DATABASE_URL"] = self.url  # wins over anything the parent has set
        started = []
        for name in names:
            errors = self.folder / f"{name}.stderr"
            sink = errors.open("wb")
            self.stderr.append(sink)
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.faults.cluster_driver",
                self.url,
                name,
                "--at",
                instant.isoformat(),
                "--lease",
                str(int(LEASE.total_seconds())),
                "--max-posts",
                str(MAX_POSTS),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
            )
            child = Child(name, process, errors)
            self.live[name] = child
            started.append(child)
        for child in started:
            assert await child.expect("ready") == f"ready {child.name}"

    async def move(self, instant: datetime) -> None:
        children = list(self.live.values())
        for child in children:
            await child.send(f"move {instant.isoformat()}")
        for child in children:
            await child.expect("ok")

    async def tick(self) -> dict[str, int]:
        """Renew every lease, one process after another as their timers would,
        at one instant; how many schedules each owns afterwards. Late posts
        (adopted schedules caught up) are added to :attr:`late`."""
        owned = {}
        for name, child in self.live.items():
            reply = await child.command("tick", "owned")
            words = reply.split()
            owned[name] = int(words[1])
            self.late += int(words[-1].removeprefix("late="))
        return owned

    async def sync(self, instant: datetime) -> dict[str, int]:
        """Move everyone to ``instant`` and renew twice: after a long jump every
        lease looks expired to the first process that renews, which takes all the
        work for a moment; the second round hands it back."""
        await self.move(instant)
        await self.tick()
        return await self.tick()

    def children(self) -> list[Child]:
        return [*self.live.values(), *self.dead.values()]

    async def kill(self, name: str) -> Child:
        child = self.live.pop(name)
        await child.kill()
        self.dead[name] = child
        return child

    async def close(self) -> None:
        for child in self.live.values():
            if child.process.returncode is None:
                child.process.kill()
                await child.process.wait()
            if not child.pump.done():
                child.pump.cancel()
        for sink in self.stderr:
            sink.close()


@pytest.fixture
async def cluster(pg_store_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    group = Cluster(pg_store_url, tmp_path)
    try:
        yield group
    finally:
        await group.close()


async def create_schedules(url: str) -> list[ChannelRef]:
    """The 300 schedules, set up through the real service before any bot runs
    (a runtime that is never started holds no lease and arms nothing)."""
    settings = Settings(database=DatabaseSettings(url=url, pool_size=2))
    runtime = await build_runtime(settings, bank=small_bank())
    channels = all_channels()
    try:
        for index, channel in enumerate(channels):
            await runtime.services.schedules.setup(
                channel, at=POST_TIMES[index % 2], timezone="UTC", reveal_after="10m"
            )
    finally:
        await runtime.close()
    return channels


def posted_today(child: Child, day: int) -> list[int]:
    """Round ids ``child`` printed a post for on ``day``."""
    today = (MONDAY + timedelta(days=day)).isoformat()
    return [int(event[4]) for event in child.said("post") if event[3] == today]


async def check_ownership(
    cluster: Cluster, owned: dict[str, int], channels: list[ChannelRef]
) -> None:
    expected = Counter(owners(channels, cluster.live).values())
    assert owned == {name: expected[name] for name in cluster.live}
    assert sum(owned.values()) == SCHEDULES and min(owned.values()) > 0


async def answers_elsewhere(cluster: Cluster, day: int, users: int) -> None:
    """The same users answer in the same few channels of one space every day
    (so their totals add up across days and channels), each burst through a
    process that did not post the round: an answer reaches whichever process
    runs the user's connection."""
    today = (MONDAY + timedelta(days=day)).isoformat()
    names = list(cluster.live)
    for index, channel in enumerate(REGULARS):
        (poster, round_id), *_ = (
            (child.name, int(event[4]))
            for child in cluster.children()
            for event in child.said("post")
            if event[2] == channel and event[3] == today
        )
        taker = next(n for n in names[index:] + names[:index] if n != poster)
        await cluster.live[taker].command(f"burst {round_id} 0 {users} 20", "done")


@pytest.mark.slow
async def test_three_processes_share_the_work_and_survive_kill9_mid_post_and_mid_answers(
    cluster: Cluster, traveller: time_machine.Traveller
) -> None:
    channels = await create_schedules(cluster.url)
    at_0830 = {c.channel for i, c in enumerate(channels) if POST_TIMES[i % 2] == "08:30"}

    # ---- Monday: three processes, an ordinary day ----------------------
    await cluster.spawn(["w0", "w1", "w2"], at(0, "08:00"))
    await check_ownership(cluster, await cluster.sync(at(0, "08:29:50")), channels)
    await cluster.move(at(0, "08:30"))
    await answers_elsewhere(cluster, 0, users=40)
    await cluster.move(at(0, "09:30"))

    # ---- Tuesday: w1 is killed in the middle of its posts ------------------
    await check_ownership(cluster, await cluster.sync(at(1, "08:29:50")), channels)
    theirs = {c for c, owner in owners(channels, cluster.live).items() if owner == "w1"}
    victim = cluster.live["w1"]
    await victim.command(f"hang-posts {POSTS_BEFORE_HANG} {CLAIMS_BEFORE_HANG}")
    for child in cluster.live.values():
        await child.send(f"move {at(1, '08:30').isoformat()}")
    stalled = await victim.expect("stalled")
    await cluster.kill("w1")
    for child in cluster.live.values():
        await child.expect("ok")
    tuesday = at(1, "08:30").date().isoformat()
    left = {
        str(chan): (int(round_id), str(status))
        for round_id, chan, status in await peek(
            cluster.url,
            "SELECT r.id, c.external_id, r.status FROM rounds r "
            "JOIN channels c ON c.id = r.channel_id WHERE r.round_date = ?",
            tuesday,
        )
    }
    # Every survivor's 08:30 post is done. Of the dead process's: a few went out
    # and were recorded; some were claimed and hung on screen; some were claimed
    # and waited for a post slot; the rest were never claimed.
    mine = at_0830 & theirs
    assert {c for c in at_0830 if c not in theirs} <= set(left)
    on_screen = {int(event[4]) for event in victim.said("post") if event[3] == tuesday}
    hung = {int(event[1]) for event in victim.said("hung")}
    states = Counter(
        (status, round_id in on_screen) for c, (round_id, status) in left.items() if c in mine
    )
    queued = CLAIMS_BEFORE_HANG - POSTS_BEFORE_HANG - MAX_POSTS
    never = mine - set(left)
    assert stalled.split()[1:] == [str(MAX_POSTS), str(queued), str(len(never))]
    assert len(hung) == MAX_POSTS and len(never) > 0
    assert states == {
        ("open", True): POSTS_BEFORE_HANG,
        ("posting", True): MAX_POSTS,
        ("posting", False): queued,
    }
    unposted = {
        (c, tuesday) for c, (round_id, _) in left.items() if c in mine and round_id not in on_screen
    }

    # Its lease (renewed at 08:29:50) still holds at 08:30:15: nobody takes over yet.
    cluster.late = 0
    owned = await cluster.sync(at(1, "08:30:15"))
    assert sum(owned.values()) == SCHEDULES - len(theirs) and cluster.late == 0
    # Past it, the survivors split its channels and catch up, within the late-post
    # grace, exactly the posts it never began; what it claimed is not posted again.
    await check_ownership(cluster, await cluster.sync(at(1, "08:30:40")), channels)
    assert cluster.late == len(never)
    await cluster.move(at(1, "09:30"))
    assert not [event for event in victim.said("reveal") if event[3] == tuesday]

    # ---- Wednesday: a replacement joins; w2 is killed mid-burst ----------
    await cluster.move(at(2, "08:00"))
    await cluster.spawn(["w3"], at(2, "08:00"))
    await check_ownership(cluster, await cluster.sync(at(2, "08:29:50")), channels)
    theirs = {c for c, owner in owners(channels, cluster.live).items() if owner == "w2"}
    await cluster.move(at(2, "08:30"))
    victim = cluster.live["w2"]
    burst_round = posted_today(victim, 2)[0]
    other_round = posted_today(cluster.live["w0"], 2)[0]
    # A long burst on w2; the same round and the same first users through w0,
    # so the two processes race to record each of those users' answer.
    before = len(victim.events)
    await victim.send(f"burst {burst_round} 0 40000 200")
    await cluster.live["w0"].send(f"burst {burst_round} 0 600 100")
    await cluster.live["w3"].send(f"burst {other_round} 0 300 100")
    acks = 0
    while acks < KILL_AFTER_ACKS:
        line = await victim.expect("ack", "done")
        assert line.startswith("ack"), "the burst ended before the kill; make it longer"
        acks += 1
    await cluster.kill("w2")
    await cluster.live["w0"].expect("done")
    await cluster.live["w3"].expect("done")
    assert not victim.said("done", before)
    stored = dict(
        await peek(
            cluster.url,
            "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id = ?",
            burst_round,
        )
    )
    acked = {(event[2], event[3]) for event in victim.said("ack", before)}
    assert len(acked) >= KILL_AFTER_ACKS
    assert {(user, stored.get(user)) for user, _ in acked} == acked  # durable before the reveal
    # What the dead process acknowledged is final for the living too.
    someone, kept = min(acked)
    taker = cluster.live["w3"]
    await taker.command(f"answer {burst_round} {someone} {'b' if kept == 'a' else 'a'}")
    assert taker.events[-2] == ["again", str(burst_round), someone, kept]

    owned = await cluster.sync(at(2, "08:30:15"))
    assert sum(owned.values()) == SCHEDULES - len(theirs)
    await check_ownership(cluster, await cluster.sync(at(2, "08:30:40")), channels)
    await cluster.move(at(2, "09:30"))

    # ---- Thursday: the two left ---------------------------------------
    await check_ownership(cluster, await cluster.sync(at(3, "08:29:50")), channels)
    await cluster.move(at(3, "08:30"))
    await answers_elsewhere(cluster, 3, users=40)
    await cluster.move(at(3, "09:30"))
    late = cluster.live["w0"]
    await late.command(f"answer {burst_round} latecomer a")
    assert late.events[-2] == ["closed", str(burst_round), "latecomer"]
    for child in list(cluster.live.values()):
        await child.command("quit", "bye")
        assert await asyncio.wait_for(child.process.wait(), CHILD_LIMIT_S) == 0
        await asyncio.wait_for(child.pump, CHILD_LIMIT_S)

    await check_the_record(cluster, channels, unposted)


async def check_the_record(
    cluster: Cluster, channels: list[ChannelRef], unposted: set[tuple[str, str]]
) -> None:
    """What the database holds against what the processes printed.
    ``unposted``: the (channel, date) pairs claimed by a process that died
    before their question reached the channel."""
    children = cluster.children()
    for child in children:
        assert not child.said("logged"), (child.name, child.said("logged")[:3], child.stderr())
        assert not child.said("unexpected"), (child.name, child.said("unexpected")[:3])

    rows = await peek(
        cluster.url,
        "SELECT r.id, c.external_id, r.round_date, r.status, r.kind, r.message_id "
        "FROM rounds r JOIN channels c ON c.id = r.channel_id",
    )
    days = [(MONDAY + timedelta(days=d)).isoformat() for d in range(DAYS)]
    by_key = {(str(chan), str(day)): int(round_id) for round_id, chan, day, *_ in rows}
    assert len(rows) == len(by_key) == SCHEDULES * DAYS  # one round per channel and date
    assert set(by_key) == {(c.channel, d) for c in channels for d in days}
    assert {(status, kind) for _, _, _, status, kind, _ in rows} == {("revealed", "scheduled")}

    # Posts: never a (channel, date) twice, however many processes saw it.
    posts = [event for child in children for event in child.said("post")]
    shown = Counter((event[2], event[3]) for event in posts)
    assert max(shown.values()) == 1, [key for key, n in shown.items() if n > 1][:5]
    assert all(by_key[(event[2], event[3])] == int(event[4]) for event in posts)
    # Every question was shown but those the killed poster had claimed and
    # never sent; they were revealed all the same (never posted again), with no
    # message to point at.
    assert {key for key in by_key if key not in shown} == unposted
    no_message = {(str(chan), str(day)) for _, chan, day, _, _, message in rows if message is None}
    assert unposted <= no_message

    # Reveals: every round once, with the answers the database holds.
    reveals = [event for child in children for event in child.said("reveal")]
    revealed = Counter(int(event[4]) for event in reveals)
    assert revealed == Counter(set(by_key.values()))
    answers = await peek(
        cluster.url,
        "SELECT a.round_id, u.external_id, a.choice, a.correct, a.points, r.space_id, "
        "r.channel_id FROM answers a JOIN users u ON u.id = a.user_id "
        "JOIN rounds r ON r.id = a.round_id",
    )
    per_round = Counter(int(row[0]) for row in answers)
    assert {int(event[4]): int(event[5]) for event in reveals} == {
        round_id: per_round[round_id] for round_id in by_key.values()
    }

    # Answers: each acknowledged one stored once with its letter; a refused
    # repeat names the letter that was kept.
    stored: dict[tuple[int, str], str] = {}
    for round_id, user, choice, *_ in answers:
        key = (int(round_id), str(user))
        assert key not in stored
        stored[key] = str(choice)
    acked: dict[tuple[int, str], str] = {}
    for child in children:
        for _, round_id, user, choice in child.said("ack"):
            key = (int(round_id), user)
            assert key not in acked, f"{key} acknowledged twice"
            acked[key] = choice
    assert len(acked) > KILL_AFTER_ACKS
    lost = {key: choice for key, choice in acked.items() if stored.get(key) != choice}
    assert not lost, f"{len(lost)} acknowledged answers lost or changed, e.g. {list(lost)[:5]}"
    for child in children:
        for _, round_id, user, choice in child.said("again"):
            assert stored[(int(round_id), user)] == choice

    # Scored once: every answer has its points, and the all-time totals of
    # each user, per channel and per space, are exactly the sums of them.
    assert all(row[3] is not None and row[4] is not None for row in answers)
    expected: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for _, user, _, _, points, space_id, channel_id in answers:
        for scope in (int(channel_id), 0):
            total = expected[(int(space_id), scope, str(user))]
            total[0] += 1
            total[1] += int(points)
    scores = await peek(
        cluster.url,
        "SELECT s.space_id, s.channel_id, u.external_id, s.answered, s.points FROM scores s "
        "JOIN users u ON u.id = s.user_id WHERE s.period = ?",
        "all",
    )
    got: dict[tuple[int, int, str], list[int]] = {
        (int(space), int(channel), str(user)): [int(answered), int(points)]
        for space, channel, user, answered, points in scores
    }
    assert got == dict(expected)
