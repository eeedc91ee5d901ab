"""What the domain reports about its own work, for metrics.

A port like the others: the services call it, ``bot/metrics.py`` turns the
calls into Prometheus series, and the default does nothing, so the rules and
their tests never depend on a metrics library.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def answered(self, outcome: str, seconds: float) -> None:
        """An answer was acknowledged (or refused) after ``seconds``."""
        ...

    def batch_committed(self, size: int) -> None:
        """One group-commit transaction wrote ``size`` answers."""
        ...

    def posted(self, platform: str) -> None: ...

    def revealed(self, platform: str) -> None: ...

    def post_failed(self, platform: str, reason: str) -> None:
        """``reason`` is a short code (``not_in_channel``, ``transient``), never free text."""
        ...


class NoTelemetry:
    """Reports nowhere: the default when no metrics endpoint is configured."""

    def answered(self, outcome: str, seconds: float) -> None:
        pass

    def batch_committed(self, size: int) -> None:
        pass

    def posted(self, platform: str) -> None:
        pass

    def revealed(self, platform: str) -> None:
        pass

    def post_failed(self, platform: str, reason: str) -> None:
        pass
