"""Text rules for single questions that a parser cannot see but a reader would.

Kept apart from the format rules in ``schema.py`` because these are about
teaching quality, not structure: an explanation too short to teach, or an
option that tests reading the list rather than knowing the subject.
"""

from __future__ import annotations

import re

EXPLANATION_SENTENCES = (2, 6)

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|Mrs|No|Fig|Eq|al)\.", re.IGNORECASE
)
# A sentence ends at . ! or ? followed by space and then something that can start one.
_SENTENCE_END = re.compile(r"[.!?][)\"'’”]*\s+(?=[A-Z0-9\"'‘“(`])")
_CATCH_ALL = re.compile(
    r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|them|options)\b"
    r"|^both [a-e] and [a-e]\b",
    re.IGNORECASE,
)


def count_sentences(text: str) -> int:
    """Sentences in ``text``, counting a decimal point or "e.g." as no boundary."""
    cleaned = _ABBREVIATIONS.sub("abbr", text.strip())
    if not cleaned:
        return 0
    return len(_SENTENCE_END.findall(cleaned)) + 1


def is_catch_all(option: str) -> bool:
    """True for "all of the above" style options, which test the list, not the topic."""
    return bool(_CATCH_ALL.search(option.strip()))
