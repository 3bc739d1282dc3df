"""Worker metrics (docs/observability.md, "Worker SDKs"): off unless LEGATO_METRICS_PORT is set.

`NO_METRICS` is what the executor calls when they are off: no-ops, and `prometheus_client` is never
imported. `serve()` imports it (the optional `legato-worker[metrics]` extra), registers the series
in a registry of the worker's own (not the process-wide default one) and serves it over HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

log = logging.getLogger("legato_worker")

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
"""Seconds; identical in the three SDKs."""

COMPLETED = "completed"
FAILED = "failed"
SKIPPED = "skipped"


class WorkerMetrics:
    """The executor's hooks. This base class records nothing (metrics off)."""

    def handler_started(self, action: str) -> None:
        """A handler of `action` is about to run."""

    def handler_ended(self, action: str, seconds: float, failed: bool) -> None:
        """It returned or raised after `seconds`; its job counts as completed or failed."""

    def skipped(self, action: str) -> None:
        """A job of `action` was skipped (withdrawn or past its start-by time): no handler ran."""

    def records_behind(self, action: str, records: int) -> None:
        """The consumer watch: records in `action`'s assigned partitions not fetched yet."""

    def stall_began(self, action: str) -> None:
        """The consumer of `action` holds waiting records and makes no progress."""

    def stall_ended(self, action: str) -> None:
        """It makes progress again (or nothing waits any more)."""

    def close(self) -> None:
        """Stop serving (metrics on)."""


NO_METRICS = WorkerMetrics()


class _Families(NamedTuple):
    """The per-action metric families (prometheus_client objects)."""

    jobs: Any
    duration: Any
    in_flight: Any
    behind: Any
    stalled: Any
    stalls: Any


class _PerAction:
    """The label children of one action, made once (labels() is a dict lookup under a lock)."""

    __slots__ = ("behind", "completed", "duration", "failed", "in_flight", "skipped", "stalled", "stalls")

    def __init__(self, families: _Families, action: str) -> None:
        self.completed = families.jobs.labels(action, COMPLETED)
        self.failed = families.jobs.labels(action, FAILED)
        self.skipped = families.jobs.labels(action, SKIPPED)
        self.duration = families.duration.labels(action)
        self.in_flight = families.in_flight.labels(action)
        self.behind = families.behind.labels(action)
        self.stalled = families.stalled.labels(action)
        self.stalls = families.stalls.labels(action)


class PrometheusMetrics(WorkerMetrics):
    """The series of docs/observability.md in `registry`; `busy()` reads the slots in use."""

    def __init__(self, registry: Any, actions: list[str], slots: int, busy: Callable[[], int]) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        families = _Families(
            jobs=Counter(
                "legato_worker_jobs",
                "Jobs handled, by outcome (completed, failed, skipped)",
                ["action", "outcome"],
                registry=registry,
            ),
            duration=Histogram(
                "legato_worker_handler_duration_seconds",
                "The handler's run time",
                ["action"],
                buckets=BUCKETS,
                registry=registry,
            ),
            in_flight=Gauge(
                "legato_worker_jobs_in_flight", "Handlers running now", ["action"], registry=registry
            ),
            behind=Gauge(
                "legato_worker_records_behind",
                "Records in the assigned partitions that this worker has not fetched yet",
                ["action"],
                registry=registry,
            ),
            stalled=Gauge(
                "legato_worker_stalled",
                "1 while the action's consumer holds waiting records and makes no progress",
                ["action"],
                registry=registry,
            ),
            stalls=Counter(
                "legato_worker_stalls", "Times the action's consumer stalled", ["action"], registry=registry
            ),
        )
        Gauge("legato_worker_slots", "The worker's concurrency (slots)", registry=registry).set(slots)
        Gauge("legato_worker_slots_busy", "Slots in use now", registry=registry).set_function(
            lambda: float(busy())
        )
        self._actions = {a: _PerAction(families, a) for a in actions}
        self._server: WSGIServer | None = None

    def handler_started(self, action: str) -> None:
        self._actions[action].in_flight.inc()

    def handler_ended(self, action: str, seconds: float, failed: bool) -> None:
        children = self._actions[action]
        children.in_flight.dec()
        children.duration.observe(seconds)
        (children.failed if failed else children.completed).inc()

    def skipped(self, action: str) -> None:
        self._actions[action].skipped.inc()

    def records_behind(self, action: str, records: int) -> None:
        self._actions[action].behind.set(records)

    def stall_began(self, action: str) -> None:
        children = self._actions[action]
        children.stalls.inc()
        children.stalled.set(1)

    def stall_ended(self, action: str) -> None:
        self._actions[action].stalled.set(0)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def serve(host: str, port: int, actions: list[str], slots: int, busy: Callable[[], int]) -> WorkerMetrics:
    """Register the worker's series and serve them at http://host:port/metrics (a daemon thread)."""
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        raise RuntimeError(
            "LEGATO_METRICS_PORT is set but prometheus_client is not installed: "
            "pip install 'legato-worker[metrics]'"
        ) from None
    registry = CollectorRegistry(auto_describe=True)
    metrics = PrometheusMetrics(registry, actions, slots, busy)
    server, _thread = start_http_server(port, addr=host, registry=registry)
    metrics._server = server
    log.info("worker metrics on http://%s:%d/metrics", host, port)
    return metrics
