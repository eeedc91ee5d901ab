"""Group commit: many concurrent callers share few flushes, and every caller
is answered only after its own batch was written."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pytest

from bot.core.batching import GroupCommitter

T = TypeVar("T")


class FlushFailed(Exception):
    pass


@dataclass
class Recorder:
    """A flush function that records its batches and when each completed."""

    batches: list[list[int]] = field(default_factory=list)
    completed: set[int] = field(default_factory=set)
    fail_batches: set[int] = field(default_factory=set)
    gates: dict[int, asyncio.Event] = field(default_factory=dict)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    errors: dict[int, FlushFailed] = field(default_factory=dict)

    async def flush(self, items: Sequence[int]) -> list[tuple[int, int]]:
        number = len(self.batches)
        self.batches.append(list(items))
        self.started.set()
        if number in self.gates:
            await self.gates[number].wait()
        for _ in range(3):  # give a premature answer every chance to show up
            await asyncio.sleep(0)
        if number in self.fail_batches:
            self.errors[number] = FlushFailed(f"batch {number} failed")
            raise self.errors[number]
        self.completed.add(number)
        return [(item * 10, number) for item in items]


async def submit_checked(
    committer: GroupCommitter[int, tuple[int, int]], recorder: Recorder, item: int
) -> tuple[int, int]:
    result = await committer.submit(item)
    _, batch = result
    # The batch holding this item had been fully flushed before we were answered.
    assert batch in recorder.completed
    assert item in recorder.batches[batch]
    return result


async def spin(turns: int = 20) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def bounded(awaitable: Awaitable[T]) -> T:
    """Guard against a hang turning into a stuck test run."""
    return await asyncio.wait_for(awaitable, timeout=10)


async def test_single_submit_gets_its_result() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder.flush)
    assert await bounded(committer.submit(7)) == (70, 0)
    assert committer.batches == 1
    assert recorder.batches == [[7]]


async def test_concurrent_submits_share_few_flushes_and_keep_order() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder.flush)
    n = 500
    results = await bounded(
        asyncio.gather(*(submit_checked(committer, recorder, i) for i in range(n)))
    )
    assert [value for value, _ in results] == [i * 10 for i in range(n)]
    assert committer.batches == len(recorder.batches)
    assert committer.batches <= 2
    assert sorted(item for batch in recorder.batches for item in batch) == list(range(n))


async def test_items_arriving_during_a_flush_go_together_in_the_next_batch() -> None:
    recorder = Recorder(gates={0: asyncio.Event()})
    committer = GroupCommitter(recorder.flush)
    first = asyncio.create_task(submit_checked(committer, recorder, 0))
    await bounded(recorder.started.wait())
    assert recorder.batches == [[0]]

    later = [asyncio.create_task(submit_checked(committer, recorder, i)) for i in range(1, 51)]
    await spin()
    assert not first.done()  # its flush has not finished yet
    assert not any(task.done() for task in later)
    assert len(recorder.batches) == 1  # the others wait for the running flush

    recorder.gates[0].set()
    assert await bounded(first) == (0, 0)
    results = await bounded(asyncio.gather(*later))
    assert results == [(i * 10, 1) for i in range(1, 51)]
    assert recorder.batches == [[0], list(range(1, 51))]
    assert committer.batches == 2


async def test_no_caller_is_answered_before_its_flush_completes() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gates={0: gate})
    committer = GroupCommitter(recorder.flush)
    tasks = [asyncio.create_task(committer.submit(i)) for i in range(20)]
    await bounded(recorder.started.wait())
    await spin(50)
    assert recorder.completed == set()
    assert not any(task.done() for task in tasks)
    gate.set()
    results = await bounded(asyncio.gather(*tasks))
    assert results == [(i * 10, 0) for i in range(20)]


@pytest.mark.parametrize(("n", "max_batch"), [(25, 10), (10, 10), (7, 1), (100, 33)])
async def test_max_batch_is_respected(n: int, max_batch: int) -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder.flush, max_batch=max_batch)
    results = await bounded(
        asyncio.gather(*(submit_checked(committer, recorder, i) for i in range(n)))
    )
    assert [value for value, _ in results] == [i * 10 for i in range(n)]
    sizes = [len(batch) for batch in recorder.batches]
    assert all(size <= max_batch for size in sizes)
    assert sum(sizes) == n
    assert len(sizes) == -(-n // max_batch)  # full batches, not one item at a time
    # Items keep their submission order across batches.
    assert [item for batch in recorder.batches for item in batch] == list(range(n))


async def test_failed_flush_reaches_exactly_the_callers_of_that_batch() -> None:
    recorder = Recorder(fail_batches={1})
    committer = GroupCommitter(recorder.flush, max_batch=10)
    results = await bounded(
        asyncio.gather(*(committer.submit(i) for i in range(30)), return_exceptions=True)
    )
    assert isinstance(results, list)
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == list(range(10, 20))
    assert all(results[i] is recorder.errors[1] for i in failed)
    assert [results[i] for i in range(10)] == [(i * 10, 0) for i in range(10)]
    assert [results[i] for i in range(20, 30)] == [(i * 10, 2) for i in range(20, 30)]
    assert committer.batches == 3

    # The committer still works afterwards.
    assert await bounded(committer.submit(99)) == (990, 3)


async def test_failed_flush_alone_then_recovery() -> None:
    recorder = Recorder(fail_batches={0})
    committer = GroupCommitter(recorder.flush)
    with pytest.raises(FlushFailed, match="batch 0 failed"):
        await bounded(committer.submit(1))
    assert await bounded(committer.submit(2)) == (20, 1)


async def test_cancelled_caller_does_not_disturb_the_others() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gates={0: gate})
    committer = GroupCommitter(recorder.flush)
    tasks = [asyncio.create_task(committer.submit(i)) for i in range(5)]
    await bounded(recorder.started.wait())
    tasks[2].cancel()
    gate.set()
    results = await bounded(asyncio.gather(*tasks, return_exceptions=True))
    assert isinstance(results, list)
    assert isinstance(results[2], asyncio.CancelledError)
    assert [results[i] for i in (0, 1, 3, 4)] == [(0, 0), (10, 0), (30, 0), (40, 0)]
    assert recorder.batches == [[0, 1, 2, 3, 4]]  # it was written anyway


async def test_close_waits_for_queued_items() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder.flush, max_batch=4)
    tasks = [asyncio.create_task(committer.submit(i)) for i in range(10)]
    await spin(1)  # the submits have queued their items
    await bounded(committer.close())
    assert [item for batch in recorder.batches for item in batch] == list(range(10))
    assert recorder.completed == {0, 1, 2}
    assert await bounded(asyncio.gather(*tasks)) == [(i * 10, i // 4) for i in range(10)]


async def test_close_without_any_submit_returns() -> None:
    committer: GroupCommitter[int, tuple[int, int]] = GroupCommitter(Recorder().flush)
    await bounded(committer.close())
    assert committer.batches == 0


async def test_sequential_submits_each_flush_once() -> None:
    recorder = Recorder()
    committer = GroupCommitter(recorder.flush)
    for i in range(5):
        assert await bounded(committer.submit(i)) == (i * 10, i)
    assert recorder.batches == [[i] for i in range(5)]


async def test_flush_returning_wrong_number_of_results_fails_the_callers() -> None:
    async def short_flush(items: Sequence[int]) -> list[int]:
        return list(items)[:-1]

    committer = GroupCommitter(short_flush)
    tasks = [asyncio.create_task(committer.submit(i)) for i in range(3)]
    try:
        await spin(20)
        assert all(task.done() for task in tasks), "callers are still waiting"
        for task in tasks:
            assert isinstance(task.exception(), ValueError)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(ValueError):  # the worker's error, so it is not left unretrieved
            await bounded(committer.close())
