"""Another program holds the database's write lock.

On SQLite, ``lock_holder`` is a separate Python process using plain
``sqlite3``: it begins a write transaction and keeps it until told to stop. On
PostgreSQL, another connection opens a transaction and locks what the bot must
write: every table in EXCLUSIVE mode (writes wait, plain reads go on, as with
SQLite's lock under WAL), or the round rows ``FOR UPDATE``. A write that waits
past the busy timeout (SQLite's busy timeout, PostgreSQL's ``lock_timeout``)
is refused as :class:`StoreBusy` on both.

With the default busy timeout the bot waits and nothing is lost; with a short
one an answer is refused with a message that says so, and nothing is
half-written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import time_machine

from bot.adapters.terminal import Console
from bot.adapters.terminal.platform import PLATFORM as TERMINAL
from bot.core.errors import StoreBusy
from bot.core.models import AnswerOutcome, ChannelRef, Round
from bot.core.ports import PostFailed
from bot.core.settings import GameSettings
from tests.discord_adapter.fakes import CHANNEL_ID
from tests.discord_adapter.world import MANAGER, DiscordWorld, custom_ids, is_ephemeral, text_of
from tests.faults.support import CHILD_LIMIT_S, FaultHarness, read_line, spawn
from tests.helpers import CHANNEL, RecordingPlatform, user

SHORT_BUSY_MS = 200
# How long answers must stay unacknowledged while the lock is held. Not a
# pause for synchronisation: the lock is certainly held for all of it (the
# holder said so), and an unblocked write would finish in milliseconds.
OBSERVE_S = 0.5
RETRY_REVEAL = GameSettings().retry_reveal_after
RETRY_POST = GameSettings().retry_post_after

Release = Callable[[], Awaitable[None]]

# PostgreSQL's nearest thing to SQLite's database-wide write lock: EXCLUSIVE
# mode on every table of the bot's schema lets plain reads through and makes
# every insert, update, delete and SELECT ... FOR UPDATE/SHARE wait. Table names
# cannot be parameters, so the server builds each statement itself.
LOCK_EVERY_TABLE = """
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', t.tablename);
    END LOOP;
END $$
"""
PG_LOCKS = {
    "TABLES": LOCK_EVERY_TABLE,
    # The rows an answer must share-lock to know its round is still open.
    "ROWS": "SELECT id FROM rounds FOR UPDATE",
}


@asynccontextmanager
async def lock_held(target: Path | str, mode: str | None = None) -> AsyncIterator[Release]:
    """Hold the write lock from outside the bot until the returned call: on
    SQLite the whole database's (``IMMEDIATE`` or ``EXCLUSIVE``), on PostgreSQL
    every table's (``TABLES``) or the round rows' (``ROWS``)."""
    if isinstance(target, str):
        async with _pg_lock_held(target, mode or "TABLES") as release:
            yield release
    else:
        async with _sqlite_lock_held(target, mode or "EXCLUSIVE") as release:
            yield release


@asynccontextmanager
async def _sqlite_lock_held(db: Path, mode: str) -> AsyncIterator[Release]:
    child = spawn("tests.faults.lock_holder", str(db), mode)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    released = False

    async def release() -> None:
        nonlocal released
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("release\n")
        child.stdin.flush()
        assert await read_line(child.stdout) == "released\n"
        released = True

    try:
        line = await read_line(child.stdout)
        assert line == "locked\n", f"lock holder failed: {line!r} {child.stderr.read()}"
        yield release
        if not released:
            await release()
        await asyncio.wait_for(asyncio.to_thread(child.wait), CHILD_LIMIT_S)
        assert child.returncode == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()


@asynccontextmanager
async def _pg_lock_held(url: str, mode: str) -> AsyncIterator[Release]:
    """Another session of the server, as a migration or a person in psql would
    be; in this process, since the server, not the client, holds the locks.
    Like ``lock_holder`` it writes a probe row the rollback must take away."""
    conn = await asyncpg.connect(
        url, server_settings={"application_name": "lock-holder", "lock_timeout": "5s"}
    )
    transaction = conn.transaction()
    released = False

    async def release() -> None:
        nonlocal released
        if not released:
            released = True
            await transaction.rollback()

    try:
        await transaction.start()
        await conn.execute(PG_LOCKS[mode])
        await conn.execute(
            "INSERT INTO spaces (platform, external_id) VALUES ('lock-holder', 'probe')"
        )
        yield release
        await release()
    finally:
        await conn.close()  # the server rolls back whatever is still open


def job_times(bot: FaultHarness, prefix: str) -> dict[str, datetime]:
    assert bot.runtime is not None
    return {
        job.id: job.next_run_time
        for job in bot.runtime.scheduler.get_jobs()
        if job.id.startswith(prefix)
    }


async def answered_by(bot: FaultHarness, round_id: int) -> dict[str, str]:
    return dict(
        await bot.query(
            "SELECT u.external_id, a.choice FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE a.round_id = ?",
            (round_id,),
        )
    )


@pytest.fixture
def patient(bot: FaultHarness) -> FaultHarness:
    """The bot with the default busy timeout (5 s)."""
    return bot


@pytest.fixture
async def hasty(
    store_target: Path | str, traveller: time_machine.Traveller
) -> AsyncIterator[FaultHarness]:
    """The bot with a busy timeout short enough to give up while the lock is held."""
    bot = FaultHarness(store_target, traveller, database={"busy_timeout_ms": SHORT_BUSY_MS})
    await bot.start()
    yield bot
    await bot.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("store_target", "mode"),
    [
        ("sqlite", "IMMEDIATE"),
        ("sqlite", "EXCLUSIVE"),
        ("postgres", "TABLES"),
        ("postgres", "ROWS"),
    ],
    indirect=["store_target"],
)
async def test_answers_wait_for_the_lock_and_are_all_saved(
    patient: FaultHarness, mode: str
) -> None:
    rounds = patient.services.rounds
    round_ = await rounds.post_now(CHANNEL)
    people = [user(f"waiting{i}") for i in range(60)]
    async with lock_held(patient.db_path, mode) as release:
        tasks = [
            asyncio.create_task(rounds.answer(round_.id, p, "abcd"[i % 4]))
            for i, p in enumerate(people)
        ]
        done, _ = await asyncio.wait(tasks, timeout=OBSERVE_S)
        assert not done, "an answer was acknowledged while another process held the lock"
        # Reads go on meanwhile (WAL; MVCC): the bot can still show things.
        assert await patient.runtime.store.round_answer_count(round_.id) == 0  # type: ignore[union-attr]
        await release()
        results = await asyncio.wait_for(asyncio.gather(*tasks), CHILD_LIMIT_S)
    assert [r.outcome for r in results] == [AnswerOutcome.ACCEPTED] * len(people)
    assert await answered_by(patient, round_.id) == {
        p.external_id: "abcd"[i % 4] for i, p in enumerate(people)
    }
    probe = "SELECT COUNT(*) FROM spaces WHERE platform = 'lock-holder'"
    assert await patient.query(probe) == [(0,)]


@pytest.mark.slow
async def test_answer_refused_clearly_when_the_lock_outlasts_the_busy_timeout(
    hasty: FaultHarness,
) -> None:
    rounds = hasty.services.rounds
    round_ = await rounds.post_now(CHANNEL)
    assert (await rounds.answer(round_.id, user("Early"), "c")).outcome is AnswerOutcome.ACCEPTED
    async with lock_held(hasty.db_path) as release:
        with pytest.raises(StoreBusy) as refused:
            await rounds.answer(round_.id, user("Bob"), "a")
        message = str(refused.value)
        assert "busy" in message and "not saved" in message and "try again" in message
        # A whole batch fails together, each caller with the same clear error.
        burst = await asyncio.gather(
            *(rounds.answer(round_.id, user(f"burst{i}"), "b") for i in range(30)),
            return_exceptions=True,
        )
        assert all(isinstance(r, StoreBusy) for r in burst), burst
        await release()

    # Nothing half-written: only the answer from before the lock, no user rows
    # for the refused ones, the round still open and answerable.
    assert await answered_by(hasty, round_.id) == {"early": "c"}
    names = [r[0] for r in await hasty.query("SELECT external_id FROM users ORDER BY id")]
    assert names == ["early"]
    stored = await hasty.runtime.store.get_round(round_.id)  # type: ignore[union-attr]
    assert stored is not None and stored.status.value == "open"
    retry = await rounds.answer(round_.id, user("Bob"), "d")  # not "already answered"
    assert (retry.outcome, retry.choice) == (AnswerOutcome.ACCEPTED, "d")
    again = await asyncio.gather(
        *(rounds.answer(round_.id, user(f"burst{i}"), "b") for i in range(30))
    )
    assert {r.outcome for r in again} == {AnswerOutcome.ACCEPTED}
    await hasty.move_to(round_.reveals_at)
    assert [s.total for s in hasty.platform.reveals] == [32]


@pytest.mark.slow
async def test_terminal_shows_the_busy_message_not_a_traceback(hasty: FaultHarness) -> None:
    assert hasty.runtime is not None
    hasty.runtime.platforms[TERMINAL] = hasty.platform
    out: list[str] = []
    console = Console(hasty.services, out.append, user_name="Carol", space="s", channel_name="c")
    await console.handle("/daily now")
    async with lock_held(hasty.db_path):
        await console.handle("a")
    refusal = out[-1]
    assert refusal == f"error: {StoreBusy.MESSAGE}"
    assert "Traceback" not in refusal and "went wrong" not in refusal
    await console.handle("b")
    assert "went wrong" not in out[-1] and "error" not in out[-1]
    round_ = await hasty.services.rounds.open_round(ChannelRef(TERMINAL, "s", "c"))
    assert round_ is not None
    assert await answered_by(hasty, round_.id) == {"carol": "b"}


@pytest.mark.slow
async def test_discord_click_while_locked_gets_a_private_busy_message(
    store_target: Path | str, traveller: time_machine.Traveller
) -> None:
    harness = FaultHarness(store_target, traveller, database={"busy_timeout_ms": SHORT_BUSY_MS})
    world = DiscordWorld(harness)
    await harness.start()
    try:
        await world.command("daily now", permissions=MANAGER)
        message = world.posted_message(channel_id=CHANNEL_ID)
        button = custom_ids(message)[0]
        async with lock_held(harness.db_path):
            (response,) = await world.click(
                message, button, user_id=960_000_000_000_000_031, name="Dee"
            )
        assert is_ephemeral(response)
        assert "database is busy" in text_of(response) and "not saved" in text_of(response)
        assert "Something went wrong" not in text_of(response)
        (after,) = await world.click(message, button, user_id=960_000_000_000_000_031, name="Dee")
        assert is_ephemeral(after) and "busy" not in text_of(after)
        assert await harness.query("SELECT COUNT(*) FROM answers") == [(1,)]
    finally:
        if world.client is not None:
            await world.client.close()
        await harness.stop()


# ---- jobs that run while the lock is held ---------------------------------------


@pytest.mark.slow
async def test_reveal_job_during_a_long_lock_still_reveals_after_release(
    hasty: FaultHarness, caplog: pytest.LogCaptureFixture
) -> None:
    round_ = await hasty.services.rounds.post_now(CHANNEL)
    assert (await hasty.services.rounds.answer(round_.id, user("Ann"), "a")).outcome is (
        AnswerOutcome.ACCEPTED
    )
    retry_at = round_.reveals_at + RETRY_REVEAL
    async with lock_held(hasty.db_path):
        await hasty.move_to(round_.reveals_at)
        # Refused, not lost: the job is armed again, and the log says so.
        assert hasty.platform.reveals == []
        assert job_times(hasty, "reveal:") == {f"reveal:{round_.id}": retry_at}
        assert f"reveal of round {round_.id} failed; trying again" in caplog.text
    await hasty.move_to(retry_at)
    assert [(s.round.id, s.total) for s in hasty.platform.reveals] == [(round_.id, 1)]
    stored = await hasty.runtime.store.get_round(round_.id)  # type: ignore[union-attr]
    assert stored is not None and stored.revealed_at == retry_at
    await hasty.advance(timedelta(hours=6))
    assert len(hasty.platform.reveals) == 1
    assert job_times(hasty, "reveal:") == {}


@pytest.mark.slow
async def test_post_job_during_a_long_lock_is_retried_within_grace(hasty: FaultHarness) -> None:
    await hasty.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC")
    schedule = await hasty.services.schedules.get(CHANNEL)
    nine = hasty.now.replace(hour=9, minute=0)
    retry_at = nine + RETRY_POST
    async with lock_held(hasty.db_path):
        await hasty.move_to(nine)
        assert hasty.platform.posted == []
        assert job_times(hasty, "retry:") == {f"retry:{schedule.id}": retry_at}
    await hasty.advance(timedelta(minutes=30))
    assert [(r.posted_at, r.round_date) for r in hasty.platform.posted] == [(retry_at, nine.date())]
    assert await hasty.query("SELECT status FROM rounds") == [("open",)]
    assert (await hasty.services.schedules.get(CHANNEL)).failing is None


class LockingPlatform(RecordingPlatform):
    """Another program takes the write lock while a question is being posted,
    so the write right after the post (``mark_posted``, or ``discard_round``
    when the post fails) is refused."""

    def __init__(self, db: Path | str, fail: PostFailed | None = None) -> None:
        super().__init__()
        self.db = db
        self.fail = fail
        self.locks = AsyncExitStack()
        self.release: Release | None = None

    async def post_question(self, round_: Round) -> str | None:
        if self.release is None:
            self.release = await self.locks.enter_async_context(lock_held(self.db))
            if self.fail is not None:
                raise self.fail
        return await super().post_question(round_)


@pytest.mark.slow
async def test_a_post_the_locked_database_could_not_record_is_still_revealed(
    hasty: FaultHarness,
) -> None:
    platform = LockingPlatform(hasty.db_path)
    hasty.platform = hasty.runtime.platforms["test"] = platform  # type: ignore[union-attr]
    try:
        await hasty.services.schedules.setup(
            CHANNEL, at="09:00", timezone="UTC", reveal_after="30m"
        )
        nine = hasty.now.replace(hour=9, minute=0)
        await hasty.move_to(nine)
        (posted,) = platform.posted
        # On screen but not recorded: kept (never posted twice), reveal armed.
        assert await hasty.query("SELECT status FROM rounds") == [("posting",)]
        assert job_times(hasty, "reveal:") == {f"reveal:{posted.id}": nine + timedelta(minutes=30)}
        assert job_times(hasty, "retry:") == {}
        assert platform.release is not None
        await platform.release()
    finally:
        await platform.locks.aclose()
    answer = await hasty.services.rounds.answer(posted.id, user("Ann"), "b")
    assert answer.outcome is AnswerOutcome.ACCEPTED
    await hasty.advance(timedelta(hours=6))
    assert len(platform.posted) == 1
    (summary,) = platform.reveals
    assert (summary.round.id, summary.total, summary.round.message_id) == (
        posted.id,
        1,
        f"msg-{posted.id}",
    )
    assert await hasty.query("SELECT status FROM rounds") == [("revealed",)]


@pytest.mark.slow
async def test_a_failed_post_whose_claim_the_locked_database_kept_is_retried(
    hasty: FaultHarness,
) -> None:
    platform = LockingPlatform(hasty.db_path, PostFailed("timed out", permanent=False))
    hasty.platform = hasty.runtime.platforms["test"] = platform  # type: ignore[union-attr]
    try:
        await hasty.services.schedules.setup(CHANNEL, at="09:00", timezone="UTC")
        schedule = await hasty.services.schedules.get(CHANNEL)
        nine = hasty.now.replace(hour=9, minute=0)
        await hasty.move_to(nine)
        assert platform.posted == []
        assert await hasty.query("SELECT status FROM rounds") == [("posting",)]
        assert job_times(hasty, "retry:") == {f"retry:{schedule.id}": nine + RETRY_POST}
        assert platform.release is not None
        await platform.release()
    finally:
        await platform.locks.aclose()
    await hasty.advance(timedelta(minutes=30))
    assert [(r.posted_at, r.round_date) for r in platform.posted] == [
        (nine + RETRY_POST, nine.date())
    ]
    assert await hasty.query("SELECT status FROM rounds") == [("open",)]
