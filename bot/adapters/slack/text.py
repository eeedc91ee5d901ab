"""Slack's mrkdwn: escaping user text, dates, and cutting text to Slack's limits.

Slack rejects a whole message when one part is too long, so every text we send
is cut to the limit of the place it goes, with a marker, and never in the
middle of an escape (``&amp;``) or a special token (``<!date^…>``).
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.core.timeutil import zone

# Documented limits (api.slack.com/reference/block-kit).
BLOCKS_PER_MESSAGE = 50
BLOCKS_PER_VIEW = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
ACTION_ID = 255
BUTTON_VALUE = 2000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
ACTION_ELEMENTS = 25
MESSAGE_TEXT = 4000
"""Slack truncates the top-level ``text`` past 40,000 characters; it is only the
notification fallback, so we keep it short."""

MARKER = "…"
# Characters that start mrkdwn formatting. A zero-width space in front keeps
# them literal: Slack only formats a marker that follows a space or the start.
_FORMATTING = re.compile(r"([*_~`])")
_OPEN_TOKEN = re.compile(r"(&[a-z]{0,4}|<[^>]*)$")


def escape(text: str) -> str:
    """User or bank text made inert in mrkdwn: no mention, link, channel ping
    (``<!channel>``, ``<@U…>``, ``<http…>``), and no bold or code spans.

    Slack asks for exactly three characters to be escaped as entities; the
    formatting markers have no escape, so each gets a zero-width space before it.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _FORMATTING.sub("\u200b\\1", text)


def unescape(word: str) -> str:
    """A word of a slash command as the user typed it. Slack sends ``&``, ``<``
    and ``>`` typed by people as entities, and its own mentions and channel
    links (``<@U…|name>``) raw; those are left as they are."""
    if word.startswith("<") and word.endswith(">"):
        return word
    return word.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str) -> str:
    """Text for a ``plain_text`` object: Slack shows it as typed, so only control
    characters are removed."""
    return "".join(c if c.isprintable() or c == "\n" else " " for c in text)


def clip(text: str, limit: int, *, markup: bool = True) -> str:
    """``text`` cut to ``limit`` characters with a marker, never inside an
    entity or a ``<…>`` token. ``markup=False`` is for ``plain_text``, where
    ``<`` and ``&`` are literal characters, so nothing before the cut is dropped."""
    if len(text) <= limit:
        return text
    kept = text[: max(limit - len(MARKER), 0)]
    if markup:
        kept = _OPEN_TOKEN.sub("", kept)
    return kept.rstrip() + MARKER


def date(instant: datetime, tz_name: str = "UTC") -> str:
    """A date Slack shows in each reader's own time zone, with a plain fallback
    for clients that cannot (notifications, old apps)."""
    fallback = instant.astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M %Z")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


_COMMAND_WORDS = (
    r"daily|drill|group|leaderboard|report|streak|stats|topics|help|privacy|remind|review"
)
_COMMAND = re.compile(rf"(?<![\w/])/({_COMMAND_WORDS})\b")


def slash(text: str) -> str:
    """The domain's messages name commands as ``/drill``; on Slack they are all
    subcommands of ``/studybot``."""
    return _COMMAND.sub(r"/studybot \1", text)
