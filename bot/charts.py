"""The progress chart behind ``/stats``: one PNG with accuracy and mastery per
topic and the reviews of the last 30 days.

It lives outside ``bot/core`` because it needs matplotlib, and it imports
matplotlib only when the first chart is drawn: the import takes over half a
second, and most runs of the bot never draw a chart.

Only the object-oriented API is used (a ``Figure`` with its own Agg canvas),
never pyplot, whose current-figure state is global and would mix up charts
drawn in several threads at once. Every render builds and drops its own
figure, so renders share nothing but matplotlib's read-only settings and its
per-thread font cache.

Drawing is CPU work of about 200 ms, so the bot calls
:func:`render_progress_async`, which draws in a separate process and keeps the
event loop answering clicks meanwhile. A thread was measured first
(``bench/charts.py`` still compares the two): the loop shares the GIL with a
drawing thread, and matplotlib's C code (laying out text, rasterising) holds
it for milliseconds at a time, so with 20 charts queued the loop stalled for
30 ms and more. The process is started on the first chart, with one worker,
and lives until :func:`shutdown`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import signal
import struct
import sys
import threading
import warnings
import zlib
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.core.progress import ReviewProgress

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX = 1000
HEIGHT_PX = 700
DPI = 100
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_COMPRESSION = 6
RENDER_PROCESSES = 1
"""Charts drawn at once. One process leaves the other cores to the bot; a chart
takes about 0.2 s, so a burst of 20 is drawn in about four seconds."""
RENDER_NICENESS = 10
"""How much lower the render process's CPU priority is than the bot's."""

ACCURACY_COLOUR = "#457b9d"
MASTERY_COLOUR = "#e9c46a"
REVIEWS_COLOUR = "#2a9d8f"
MUTED = "#6c757d"

log = logging.getLogger(__name__)
_executor: Executor | None = None
_executor_lock = threading.Lock()


@dataclass(frozen=True)
class _Mpl:
    """The few matplotlib classes the chart needs, imported on first use."""

    figure: Any
    canvas: Any
    polygons: Any
    integer_ticks: Any


_import_lock = threading.Lock()


@cache
def _matplotlib() -> _Mpl:
    """Import matplotlib once, on first use, with the Agg backend.

    ``MPLBACKEND`` is only defaulted, never overridden, and ``use`` is only
    called while nothing has imported pyplot yet, so a process that chose its
    own backend keeps it. The charts do not depend on it either way: they draw
    on a canvas they make themselves.
    """
    with _import_lock:
        os.environ.setdefault("MPLBACKEND", "Agg")
        import matplotlib

        if "matplotlib.pyplot" not in sys.modules:
            matplotlib.use("Agg")
        # A name in a script the font lacks is drawn with boxes; that is
        # expected, and not worth a warning on every chart.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import PolyCollection
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        return _Mpl(Figure, FigureCanvasAgg, PolyCollection, MaxNLocator)


def render_progress(progress: ReviewProgress, *, title: str) -> bytes:
    """The chart of ``progress`` as a 1000×700 PNG whose ``Title`` metadata is ``title``.

    Safe to call from several threads at once. A user with no reviews yet gets
    the same chart with a line saying so, never an error.
    """
    mpl = _matplotlib()
    figure = mpl.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    canvas = mpl.canvas(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=(3.2, 1.3), hspace=0.32)
    figure.subplots_adjust(left=0.22, right=0.97, top=0.9, bottom=0.08)
    # parse_math=False everywhere text comes from people: a name like "$x$"
    # must be shown as typed, not as mathtext.
    figure.suptitle(title, fontsize=14, fontweight="bold", parse_math=False)
    _draw_topics(mpl, figure.add_subplot(grid[0]), progress)
    _draw_reviews(mpl, figure.add_subplot(grid[1]), progress.reviews_per_day)
    canvas.draw()
    return encode_png(canvas.buffer_rgba(), title=title)


def encode_png(rgba: Any, *, title: str) -> bytes:
    """A PNG of an RGBA pixel buffer (rows of ``width * 4`` bytes), written here
    rather than by Pillow because Pillow holds the GIL while it compresses:
    20 ms and more per chart, during which the event loop could not run.
    ``zlib.compress`` lets go of the GIL while it works. The chart is opaque,
    so the alpha channel is dropped; each row is stored with the "Sub" filter
    (each byte minus the one to its left), which suits flat colours.
    """
    import numpy as np

    pixels = np.asarray(rgba)
    height, width = pixels.shape[0], pixels.shape[1]
    rgb = pixels[:, :, :3].astype(np.int16)
    rows = np.zeros((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 1  # filter type Sub
    rows[:, 1:4] = rgb[:, 0, :]
    rows[:, 4:] = ((rgb[:, 1:, :] - rgb[:, :-1, :]) & 0xFF).reshape(height, (width - 1) * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _title_chunk(title),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESSION)),
            _chunk(b"IEND", b""),
        )
    )


def _title_chunk(title: str) -> bytes:
    """``tEXt`` holds Latin-1 only; any other title goes in an ``iTXt`` as UTF-8."""
    try:
        return _chunk(b"tEXt", b"Title\0" + title.encode("latin-1"))
    except UnicodeEncodeError:
        return _chunk(b"iTXt", b"Title\0\0\0\0\0" + title.encode("utf-8"))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


Rect = tuple[float, float, float, float]


def _bars(mpl: _Mpl, ax: Axes, rects: list[Rect], colour: str, label: str = "") -> None:
    """Bars as one polygon collection: ``bar``/``barh`` make one patch per bar
    and update the data limits for each, which was a sixth of a render."""
    corners = [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in rects]
    collection = mpl.polygons(corners, facecolors=colour, edgecolors="none", label=label)
    ax.add_collection(collection, autolim=False)


def _fixed_layout(ax: Axes, title: str) -> None:
    """Pin the title and the (empty) axis labels where they go anyway.

    Left to themselves, matplotlib measures every tick label on each draw to
    place them, about a fifth of the render time; the chart has a fixed size,
    so their places are known.
    """
    ax.set_title(title, loc="left", fontsize=11, y=1.0, pad=6)
    ax.xaxis.set_label_coords(0.5, -0.12)
    ax.yaxis.set_label_coords(-0.2, 0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)


def _empty(ax: Axes, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=10,
        transform=ax.transAxes,
        parse_math=False,
    )


def _draw_topics(mpl: _Mpl, ax: Axes, progress: ReviewProgress) -> None:
    _fixed_layout(ax, "Accuracy and mastery per topic")
    topics = sorted(progress.topics, key=lambda t: t.topic)
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 20), [f"{p}%" for p in range(0, 101, 20)], fontsize=8)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_yticks([])
    if not topics:
        ax.set_ylim(0, 1)
        _empty(ax, "No answers yet: your topics appear here after your first review.")
        return
    ax.set_ylim(-0.6, len(topics) - 0.4)
    # The first topic alphabetically at the top, as people read a list.
    rows = range(len(topics) - 1, -1, -1)
    height = 0.38
    _bars(
        mpl,
        ax,
        [(0, r, 100 * (t.accuracy or 0.0), height) for r, t in zip(rows, topics, strict=True)],
        ACCURACY_COLOUR,
        "accuracy",
    )
    _bars(
        mpl,
        ax,
        [(0, r - height, 100 * t.mastery, height) for r, t in zip(rows, topics, strict=True)],
        MASTERY_COLOUR,
        "mastery (recall ≥ 90% today)",
    )
    # Labels as plain text rather than ticks: a tick is two lines and two
    # texts, and twenty of them cost more than the bars.
    labels = ax.get_yaxis_transform()
    for row, topic in zip(rows, topics, strict=True):
        ax.text(
            -0.01,
            row,
            f"{topic.topic} ({topic.answered})",
            ha="right",
            va="center",
            fontsize=8,
            transform=labels,
            parse_math=False,
        )
        accuracy = topic.accuracy
        if accuracy is None:
            ax.text(1, row + height / 2, "not tried", va="center", fontsize=7, color=MUTED)
        else:
            # The value at the bar's end, so 0% right reads differently from "not tried".
            x = 100 * accuracy
            inside = x > 90
            ax.text(
                x - 1 if inside else x + 1,
                row + height / 2,
                f"{accuracy:.0%}",
                va="center",
                ha="right" if inside else "left",
                fontsize=7,
                color="white" if inside else MUTED,
            )
    ax.legend(loc="lower right", fontsize=8, frameon=False, ncols=2, bbox_to_anchor=(1, 1))


def _draw_reviews(mpl: _Mpl, ax: Axes, per_day: tuple[tuple[date, int], ...]) -> None:
    _fixed_layout(ax, "Reviews per day, last 30 days")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    counts = [count for _, count in per_day]
    if not any(counts):
        ax.set_yticks([])
        if not per_day:
            ax.set_xticks([])
        _empty(ax, "No reviews in the last 30 days.")
    top = max(counts, default=0)
    ax.set_ylim(0, max(top * 1.15, 1))
    ax.set_xlim(-0.7, max(len(per_day), 1) - 0.3)
    if per_day:
        _bars(mpl, ax, [(i - 0.4, 0, 0.8, n) for i, n in enumerate(counts) if n], REVIEWS_COLOUR)
        # A label every week, counted back from today, keeps the axis readable.
        marks = list(range(len(per_day) - 1, -1, -7))[::-1]
        ax.set_xticks(marks, [per_day[i][0].strftime("%b %d") for i in marks], fontsize=8)
    if top:
        ax.yaxis.set_major_locator(mpl.integer_ticks(nbins=5, integer=True))
        ax.tick_params(axis="y", labelsize=8)


def _start_worker() -> None:
    """In the render process, once: Ctrl-C is for the bot, which shuts the pool
    down, so the worker must not print a traceback of its own; a lower CPU
    priority, so that when a chart and the bot want the same core, the bot's
    event loop gets it first; and the matplotlib import, paid here rather than
    in the first chart."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(RENDER_NICENESS)
    _matplotlib()


def _pool() -> Executor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # spawn, not fork: the bot has threads (SQLite, the scheduler),
            # and a forked copy of a process with threads can deadlock.
            _executor = ProcessPoolExecutor(
                max_workers=RENDER_PROCESSES,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
        return _executor


def shutdown() -> None:
    """Stop the render process, if one was started. Python stops it at exit
    anyway; tests and the benchmark call this to finish clean."""
    global _executor
    with _executor_lock:
        pool, _executor = _executor, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


async def render_progress_async(
    progress: ReviewProgress, *, title: str, executor: Executor | None = None
) -> bytes:
    """:func:`render_progress` in the render process, so the loop never blocks.

    ``executor`` replaces the process, for comparisons (``bench/charts.py``
    measures a thread pool against it). A render process that died (killed
    for memory, say) is replaced once, and the chart drawn again.
    """
    loop = asyncio.get_running_loop()
    job = functools.partial(render_progress, progress, title=title)
    if executor is not None:
        return await loop.run_in_executor(executor, job)
    try:
        return await loop.run_in_executor(_pool(), job)
    except BrokenProcessPool:
        log.warning("the chart process died; starting a new one")
        shutdown()
        return await loop.run_in_executor(_pool(), job)
