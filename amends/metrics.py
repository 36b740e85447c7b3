"""Prometheus metrics of ``amends run``: per mailbox and stage, counters and durations.

Served only when ``[metrics] port`` is set; the registry is the worker's own (not the library's
global one), so nothing else in the process leaks into it.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from amends.config.schema import MetricsSettings

log = logging.getLogger(__name__)

# From a quick IMAP poll to a first sync of a large mailbox.
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["mailbox", "stage"]
        self.stage_seconds = Histogram(
            "amends_stage_seconds",
            "Time one stage of a worker pass took",
            labels,
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.stage_errors = Counter(
            "amends_stage_errors",
            "Stage runs that failed, by kind of failure (auth, connection, database, internal)",
            [*labels, "kind"],
            registry=self.registry,
        )
        self.items = Counter(
            "amends_items",
            "Things a stage did: messages stored, tickets classified, drafts appended, "
            "follow-ups sent…",
            [*labels, "outcome"],
            registry=self.registry,
        )
        self.passes = Counter(
            "amends_passes", "Worker passes over a mailbox", ["mailbox"], registry=self.registry
        )
        self.last_sync = Gauge(
            "amends_last_sync_timestamp_seconds",
            "When the mailbox's inbox was last synced (Unix time)",
            ["mailbox"],
            registry=self.registry,
        )
        self.server: Any = None

    def count(self, mailbox: str, stage: str, outcomes: dict[str, int]) -> None:
        for outcome, n in outcomes.items():
            if n:
                self.items.labels(mailbox, stage, outcome).inc(n)

    def serve(self, settings: MetricsSettings) -> None:
        if settings.port is None:
            return
        self.server, _thread = start_http_server(
            settings.port, addr=settings.host, registry=self.registry
        )
        log.info("metrics at http://%s:%d/metrics", settings.host, settings.port)

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
