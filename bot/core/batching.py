"""Group commit: many concurrent callers, one transaction.

Each caller awaits its own result, which is only set after the batch holding
its item has been committed, so an acknowledgement always means "durable".
While one batch is being written, new items queue up and go together in the
next one: under load batches grow by themselves, with no timer to tune.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommitter(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 5000,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._on_batch = on_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0
        """How many flushes ran; read by tests and benchmarks."""

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let callers scheduled in the same tick join the batch
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            self.batches += 1
            try:
                results = await self._flush([item for item, _ in batch])
                if len(results) != len(batch):
                    raise ValueError(
                        f"flush returned {len(results)} results for {len(batch)} items"
                    )
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            if self._on_batch is not None:
                self._on_batch(len(batch))
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def close(self) -> None:
        """Wait for queued items to be written."""
        if self._worker is not None:
            await asyncio.shield(self._worker)
