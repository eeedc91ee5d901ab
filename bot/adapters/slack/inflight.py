"""The work Bolt still does after it acknowledged a request.

Bolt answers Slack within its three seconds by acking first and running the
rest of a listener (recording an answer, posting a reply) as an asyncio task
it does not hand back. A worker that stops (a rolling deploy of HTTP workers,
a SIGTERM) must let those tasks finish before the database closes, or a click
that Slack already saw acknowledged would be lost. Bolt names no handle for
them, so they are recognised by the coroutine Bolt wraps them in.
"""

from __future__ import annotations

import asyncio
from typing import Any

_BOLT_RUNNERS = ("run_ack_function_asynchronously", "AsyncioLazyListenerRunner")


def is_bolt_work(task: asyncio.Task[Any]) -> bool:
    name = getattr(task.get_coro(), "__qualname__", "") or ""
    return any(runner in name for runner in _BOLT_RUNNERS)


async def bolt_settled() -> None:
    """Wait until no acknowledged listener work is running, including work
    started meanwhile. Callers bound it with ``asyncio.timeout``."""
    me = asyncio.current_task()
    while True:
        pending = [
            t for t in asyncio.all_tasks() if t is not me and not t.done() and is_bolt_work(t)
        ]
        if not pending:
            return
        await asyncio.wait(pending)
