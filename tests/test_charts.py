"""The progress chart: a valid PNG of the promised size and title, for a busy
user and a brand-new one, drawn away from the event loop."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from PIL import Image

from bot import charts
from bot.core.progress import ReviewProgress, TopicProgress

TODAY = date(2026, 11, 23)


def busy() -> ReviewProgress:
    topics = tuple(
        TopicProgress(
            topic=f"topic-{i:02d}",
            questions=30,
            answered=0 if i % 5 == 0 else 3 * i,
            correct=0 if i % 5 == 0 else 2 * i,
            mastered=i,
        )
        for i in range(20)
    )
    days = tuple((TODAY - timedelta(days=29 - i), (i * 7) % 11) for i in range(30))
    return ReviewProgress(due_now=4, next_due=None, cards=120, topics=topics, reviews_per_day=days)


def new_user() -> ReviewProgress:
    days = tuple((TODAY - timedelta(days=29 - i), 0) for i in range(30))
    return ReviewProgress(due_now=0, next_due=None, cards=0, topics=(), reviews_per_day=days)


def chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each one's CRC checked on the way."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        yield kind, data
        at += 12 + length
    assert at == len(png)


def titles(found: list[tuple[bytes, bytes]]) -> list[str]:
    """Title from ``tEXt`` (Latin-1) or ``iTXt`` (UTF-8, no compression)."""
    seen = []
    for kind, data in found:
        key, _, value = data.partition(b"\0")
        if key != b"Title":
            continue
        if kind == b"tEXt":
            seen.append(value.decode("latin-1"))
        elif kind == b"iTXt":
            assert value[:2] == b"\0\0"  # not compressed
            _language, _, rest = value[2:].partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            seen.append(text.decode("utf-8"))
    return seen


def check_png(png: bytes, title: str) -> None:
    found = list(chunks(png))
    kinds = [kind for kind, _ in found]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", found[0][1][:10])
    assert (width, height) == (charts.WIDTH_PX, charts.HEIGHT_PX) == (1000, 700)
    assert (depth, colour) == (8, 2)
    assert titles(found) == [title]
    pixels = zlib.decompress(b"".join(data for kind, data in found if kind == b"IDAT"))
    assert len(pixels) == height * (1 + width * 3)
    # Something was drawn: the image is not one flat colour.
    assert len(set(pixels[1 + width * 3 * 350 : (1 + width * 3) * 351])) > 3


def test_chart_is_a_png_of_the_promised_size_and_title() -> None:
    png = charts.render_progress(busy(), title="Progress: Alice")
    check_png(png, "Progress: Alice")
    assert [kind for kind, _ in chunks(png)].count(b"tEXt") == 1
    # A second reader of the file: Pillow, which matplotlib depends on.
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (1000, 700)
        assert image.info["Title"] == "Progress: Alice"


def test_a_new_user_still_gets_a_chart() -> None:
    check_png(charts.render_progress(new_user(), title="Progress — Bob"), "Progress — Bob")
    empty = ReviewProgress(due_now=0, next_due=None, cards=0, topics=(), reviews_per_day=())
    check_png(charts.render_progress(empty, title="nothing at all"), "nothing at all")


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_titles_beyond_latin1_and_mathtext_are_kept_as_typed() -> None:
    # As mathtext, "$\\frac{x$" would be a syntax error and no chart at all.
    title = "Progress — 山田 $\\frac{x$"
    png = charts.render_progress(new_user(), title=title)
    check_png(png, title)
    assert b"tEXt" not in [kind for kind, _ in chunks(png)]
    with Image.open(io.BytesIO(png)) as image:
        assert image.info["Title"] == title


def test_renders_in_several_threads_at_once_match_one_at_a_time() -> None:
    progress = busy()
    alone = charts.render_progress(progress, title="same")
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(
            pool.map(lambda _: charts.render_progress(progress, title="same"), range(8))
        )
    assert together == [alone] * 8


async def test_the_chart_is_drawn_off_the_event_loop() -> None:
    spins = 0
    drawing = True

    async def spin() -> None:
        nonlocal spins
        while drawing:
            spins += 1
            await asyncio.sleep(0)

    spinner = asyncio.create_task(spin())
    try:
        png = await charts.render_progress_async(busy(), title="Progress — Carol")
    finally:
        drawing = False
        await spinner
    check_png(png, "Progress — Carol")
    assert png == charts.render_progress(busy(), title="Progress — Carol")
    # Drawn on the loop, the chart would have held it for the whole render;
    # the spinner turned hundreds of times while the render process worked.
    assert spins > 100


@pytest.fixture(autouse=True, scope="module")
def stop_the_render_process() -> Iterator[None]:
    yield
    charts.shutdown()
