"""The engine's sampled gauges (docs/observability.md): consumer lag of every job topic and of the
results topic, the members of each action's worker group, the outbox's depth and oldest age.

A thread of the engine process asks Kafka and PostgreSQL every SAMPLE_INTERVAL_S, never per request
and never on the engine's loop; a failed sample is logged once per kind of failure and retried next
time (the gauges keep their last values). Group members, lag and the outbox are sampled apart, so
one that fails or is slow never blanks the others.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.kafka.clients import HANDOVER_MS
from legato.kafka.committed import GroupOffsets
from legato.kafka.isolated import GroupAdmin
from legato.kafka.lag import consumer_lag, group_members, job_topics, topic_lag
from legato.settings import Settings
from legato.store import limits_sql, metrics_sql
from legato.store.limits_sql import LimitRow
from legato.store.metrics_sql import OutboxRow, PendingRunsRow, WaitsRow
from legato.store.rows import fetch_all, fetch_one
from legato_protocol.topics import job_topic, worker_group

log = logging.getLogger(__name__)

SAMPLE_INTERVAL_S = 5.0
KAFKA_TIMEOUT_S = 4.0


class Sampler:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        admin: AdminClient,
        offsets: GroupOffsets,
        groups: GroupAdmin,
        stop: threading.Event,
        interval_s: float = SAMPLE_INTERVAL_S,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.admin = admin
        self.offsets = offsets
        self.groups = groups
        self.stop = stop
        self.interval_s = interval_s
        self._failing: set[str] = set()
        self._limited: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="legato-metrics-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            started = time.monotonic()
            self._guarded("outbox", self.sample_outbox)
            self._guarded("flow control", self.sample_limits)
            self._guarded("consumer group", self.sample_members)
            self._guarded("consumer lag", self.sample_lag)
            if self.stop.wait(max(0.0, self.interval_s - (time.monotonic() - started))):
                return

    def _guarded(self, what: str, sample: Callable[[], None]) -> None:
        try:
            sample()
        except Exception as exc:
            if what not in self._failing:
                log.warning(
                    "cannot sample the %s metrics (retrying every %.0f s): %r", what, self.interval_s, exc
                )
                self._failing.add(what)
            return
        if what in self._failing:
            self._failing.discard(what)
            log.info("sampling the %s metrics again", what)

    def sample_outbox(self) -> None:
        """The outbox, and what runs wait for (signals, a resume)."""
        with self.pool.connection() as conn:
            row = fetch_one(conn, OutboxRow, metrics_sql.OUTBOX, {"grace": HANDOVER_MS})
            waits = fetch_one(conn, WaitsRow, metrics_sql.WAITS)
        depth, age = (row.depth, row.oldest_age_s) if row is not None else (0, 0.0)
        metrics.OUTBOX_DEPTH.set(depth)
        metrics.OUTBOX_OLDEST_AGE.set(age)
        if waits is not None:
            metrics.SIGNAL_WAITS.set(waits.signal_waits)
            metrics.RUNS_PAUSED.set(waits.paused_runs)

    def sample_limits(self) -> None:
        """Each limited action's jobs in flight and throttled and its tokens; runs behind their keys.
        A cleared limit's series go."""
        with self.pool.connection() as conn:
            limits = fetch_all(conn, LimitRow, limits_sql.GET_LIMITS, (None, None))
            pending = fetch_one(conn, PendingRunsRow, metrics_sql.PENDING_RUNS)
        actions = {r.action for r in limits}
        for gone in self._limited - actions:
            for gauge in (metrics.THROTTLED_JOBS, metrics.ACTION_IN_FLIGHT, metrics.ACTION_TOKENS):
                with contextlib.suppress(KeyError):
                    gauge.remove(gone)
        self._limited = actions
        for r in limits:
            metrics.THROTTLED_JOBS.labels(r.action).set(r.throttled)
            metrics.ACTION_IN_FLIGHT.labels(r.action).set(r.in_flight)
            if r.tokens is not None:
                metrics.ACTION_TOKENS.labels(r.action).set(r.tokens)
        metrics.PENDING_RUNS.set(pending.runs if pending else 0)

    def sample_lag(self) -> None:
        s = self.settings.kafka
        lag = consumer_lag(self.admin, self.offsets, s.jobs_topic, s.group_prefix, KAFKA_TIMEOUT_S)
        for action, behind in lag.items():
            group = worker_group(s.group_prefix, action)
            metrics.child(metrics.CONSUMER_LAG, job_topic(s.jobs_topic, action), group).set(behind)
        results = topic_lag(self.admin, self.offsets, s.results_topic, s.orchestrator_group, KAFKA_TIMEOUT_S)
        metrics.child(metrics.CONSUMER_LAG, s.results_topic, s.orchestrator_group).set(results)

    def sample_members(self) -> None:
        s = self.settings.kafka
        actions = sorted(job_topics(self.admin, s.jobs_topic, KAFKA_TIMEOUT_S))
        members = group_members(
            self.groups, [worker_group(s.group_prefix, a) for a in actions], KAFKA_TIMEOUT_S
        )
        for action in actions:
            metrics.child(metrics.ACTION_CONSUMERS, action).set(
                members.get(worker_group(s.group_prefix, action), 0)
            )
