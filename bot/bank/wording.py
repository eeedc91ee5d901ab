"""Text rules for single questions that a parser cannot see but a reader would.

Kept apart from the format rules in ``schema.py`` because these are about
teaching quality, not structure: an explanation too short to teach, or an
option that tests reading the list rather than knowing the subject.
"""

from __future__ import annotations

import re

EXPLANATION_SENTENCES = (2, 6)

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "cf", "approx", "dr", "mr", "ms", "mrs", "no", "fig", "eq", "al"}
)
# A sentence ends at . ! or ? followed by space and then something that can start one.
_SENTENCE_END = re.compile(r"[.!?][)\"'’”]*\s+(?=[A-Z0-9\"'‘“(`])")
_CATCH_ALL = re.compile(
    r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|them|options)\b"
    r"|^both [a-e] and [a-e]\b",
    re.IGNORECASE,
)


def count_sentences(text: str) -> int:
    """Sentences in ``text``, counting a decimal point or "e.g." as no boundary.

    Only the few candidate ends are checked against the abbreviation list,
    rather than rewriting every abbreviation in the text first: this runs for
    every question at every start-up.
    """
    text = text.strip()
    if not text:
        return 0
    ends = 1
    for match in _SENTENCE_END.finditer(text):
        at = match.start()
        if text[at] == "." and _word_before(text, at).lower() in _ABBREVIATIONS:
            continue
        ends += 1
    return ends


def _word_before(text: str, end: int) -> str:
    start = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end)) + 1
    return text[start:end].lstrip("(\"'‘“[")


def is_catch_all(option: str) -> bool:
    """True for "all of the above" style options, which test the list, not the topic."""
    lowered = option.strip().lower()
    if " of " not in lowered and not lowered.startswith("both "):
        return False  # cheap test first: almost no option can match
    return bool(_CATCH_ALL.search(lowered))
