"""Prometheus series for what the bot does, through the prometheus-client library.

``PrometheusTelemetry`` implements the domain's Telemetry port. Each runtime
gets its own registry (so tests and several runtimes in one process never
share counters), served by bot/health.py at ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_SUBMITTED, JobEvent
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 3600.0)


class PrometheusTelemetry:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.answers = Counter(
            "studybot_answers",
            "Answers to daily questions, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.answer_seconds = Histogram(
            "studybot_answer_seconds",
            "Time from a click to its durable acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "studybot_answer_batch_size",
            "Answers written per group-commit transaction",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.rounds_posted = Counter(
            "studybot_rounds_posted", "Questions posted", ["platform"], registry=registry
        )
        self.rounds_revealed = Counter(
            "studybot_rounds_revealed", "Rounds revealed", ["platform"], registry=registry
        )
        self.post_failures = Counter(
            "studybot_post_failures",
            "Posts a platform refused or that failed, by reason code",
            ["platform", "reason"],
            registry=registry,
        )
        self.scheduler_lateness = Histogram(
            "studybot_scheduler_lateness_seconds",
            "How long after its planned time a job started",
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.job_failures = Counter(
            "studybot_job_failures", "Scheduled jobs that raised", registry=registry
        )
        self._answer_children: dict[str, Any] = {}

    # -- the Telemetry port ------------------------------------------------------------
    def answered(self, outcome: str, seconds: float) -> None:
        # labels() hashes its arguments on every call; a burst answers thousands a second.
        child = self._answer_children.get(outcome)
        if child is None:
            child = self._answer_children[outcome] = self.answers.labels(outcome)
        child.inc()
        self.answer_seconds.observe(seconds)

    def batch_committed(self, size: int) -> None:
        self.batch_size.observe(size)

    def posted(self, platform: str) -> None:
        self.rounds_posted.labels(platform).inc()

    def revealed(self, platform: str) -> None:
        self.rounds_revealed.labels(platform).inc()

    def post_failed(self, platform: str, reason: str) -> None:
        self.post_failures.labels(platform, reason).inc()

    # -- gauges read at scrape time ----------------------------------------------------
    def watch(
        self, open_rounds: Callable[[], int], connections: Mapping[str, Callable[[], bool]]
    ) -> None:
        Gauge(
            "studybot_open_rounds", "Rounds waiting for their reveal", registry=self.registry
        ).set_function(lambda: float(open_rounds()))
        connected = Gauge(
            "studybot_platform_connected",
            "1 while the platform's connection is up",
            ["platform"],
            registry=self.registry,
        )
        for name, check in connections.items():
            connected.labels(name).set_function(_as_float(check))

    def watch_scheduler(self, scheduler: BaseScheduler) -> None:
        """Lateness when a job is handed to the event loop, failures when one raises."""

        def on_event(event: JobEvent) -> None:
            if event.code == EVENT_JOB_ERROR:
                self.job_failures.inc()
                return
            planned = getattr(event, "scheduled_run_times", None) or []
            if planned:
                late = (datetime.now(UTC) - min(planned)).total_seconds()
                self.scheduler_lateness.observe(max(late, 0.0))

        scheduler.add_listener(on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_ERROR)


def _as_float(check: Callable[[], bool]) -> Callable[[], float]:
    return lambda: float(check())
