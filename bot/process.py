"""How the long-running commands set up the Python process: the event loop
and the garbage collector. Both were chosen by measurement (bench/answer_burst.py
reports the standard loop and default collector in the same run).

* uvloop is used where it is installed (every platform but Windows): it cuts
  the event loop's own cost per task by about a third, which is most of what
  an answer burst spends outside SQLite. ``STUDYBOT_EVENT_LOOP=asyncio`` opts
  out, for debugging with tools that only understand the standard loop.
* The collector's first generation runs every 10,000 net allocations instead
  of 700. A burst of answers allocates a task, a future and a few small
  objects per user; with the default, a 10,000-user burst triggered hundreds of
  collections, each walking the young objects, for about a fifth of its time.
  Memory held a little longer is only cyclic garbage, which this bot rarely
  makes.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
GC_THRESHOLD = (10_000, 10, 10)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop constructor, or None for the standard one."""
    if os.environ.get("STUDYBOT_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    gc.set_threshold(*GC_THRESHOLD)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
