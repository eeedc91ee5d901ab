"""The bundled bank's coverage policy, read from ``config/syllabus.toml``.

The policy is data so that the list of interview subjects can grow without a
code change, and so a team running its own packs can point at its own list or
none at all.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.bank.schema import TOPIC_PATTERN


class SyllabusError(Exception):
    """The syllabus file is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Targets:
    """Bank-wide minimums and maximums; shares are fractions in 0..1."""

    min_choice_per_topic: int = 20
    min_open_per_topic: int = 6
    min_choice_total: int = 0
    min_open_total: int = 0
    min_difficulty_share: float = 0.0
    min_scenario_share: float = 0.0
    max_longest_correct_share: float = 1.0
    max_position_share: float = 1.0
    near_duplicate_threshold: float = 0.6
    max_absolute_gap: float = 1.0
    """How much more often distractors may use absolute wording than correct options."""


@dataclass(frozen=True)
class Syllabus:
    """Topics, each with its points (slug -> description), and the targets."""

    topics: dict[str, dict[str, str]]
    targets: Targets = field(default_factory=Targets)
    source: str = "syllabus"

    def point_topic(self, slug: str) -> str | None:
        for topic, points in self.topics.items():
            if slug in points:
                return topic
        return None


def load_syllabus(path: Path) -> Syllabus:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SyllabusError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SyllabusError(f"{path}: not valid TOML: {exc}") from None
    return parse_syllabus(data, str(path))


def parse_syllabus(data: dict[str, Any], source: str) -> Syllabus:
    unknown = set(data) - {"targets", "topics"}
    if unknown:
        raise SyllabusError(f"{source}: unknown key {sorted(unknown)[0]!r}; use targets, topics")
    targets = _targets(data.get("targets", {}), source)
    raw_topics = data.get("topics", {})
    if not isinstance(raw_topics, dict) or not raw_topics:
        raise SyllabusError(f"{source}: topics: expected at least one [topics.<slug>] table")
    topics: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for topic, points in raw_topics.items():
        if not TOPIC_PATTERN.fullmatch(topic):
            raise SyllabusError(f"{source}: topics.{topic}: not a valid topic slug")
        if not isinstance(points, dict) or not points:
            raise SyllabusError(f'{source}: topics.{topic}: expected slug = "description" lines')
        for slug, text in points.items():
            if not isinstance(text, str) or not text.strip():
                raise SyllabusError(f"{source}: topics.{topic}.{slug}: expected a description")
            if slug in seen:
                raise SyllabusError(
                    f"{source}: topics.{topic}.{slug}: point already listed under {seen[slug]}"
                )
            seen[slug] = topic
        topics[topic] = dict(points)
    return Syllabus(topics=topics, targets=targets, source=source)


def _targets(raw: Any, source: str) -> Targets:
    if not isinstance(raw, dict):
        raise SyllabusError(f"{source}: targets: expected a table")
    known = {f.name: f for f in fields(Targets)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise SyllabusError(f"{source}: targets.{key}: unknown target")
        default = getattr(Targets(), key)
        if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise SyllabusError(f"{source}: targets.{key}: expected a whole number")
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SyllabusError(f"{source}: targets.{key}: expected a number")
            if not 0 <= value <= 1:
                raise SyllabusError(f"{source}: targets.{key}: expected a share between 0 and 1")
            value = float(value)
        if isinstance(value, int) and value < 0:
            raise SyllabusError(f"{source}: targets.{key}: must not be negative")
        values[key] = value
    return Targets(**values)
