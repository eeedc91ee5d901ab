"""Which event loop the long-running commands use.

uvloop is used where it is installed (every platform but Windows): it cuts the
event loop's own cost per task by about a third, which is most of what an
answer burst spends outside SQLite (see bench/answer_burst.py, which measures
both loops in one run). ``STUDYBOT_EVENT_LOOP=asyncio`` opts out, for
debugging with tools that only understand the standard loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


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
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
