"""Data lifecycle: finished runs older than LEGATO_RETENTION_DAYS are deleted with every row that
belongs to them (schedule fire times that started no run go at the same age), and payloads of
attempts finished more than LEGATO_JOB_PAYLOAD_RETENTION_HOURS ago are emptied.

The engine asks for a sweep on every tick (`run_due`); at most one sweep runs at a time per engine,
every LEGATO_RETENTION_INTERVAL_S, in a thread of its own so result batches never wait for it. A
sweep works in small transactions (LEGATO_RETENTION_BATCH_RUNS runs each) until a batch comes
back short. Runs are taken oldest first with SKIP LOCKED: several orchestrators share the work, and
a run that an operation (retry, replay, cancel) holds is left for the next sweep. A sweep that
fails (an outage) is counted, logged and tried again at the next interval.
"""

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import ConnectionPool

from legato import metrics
from legato.settings import Settings
from legato.store import retention_sql
from legato.store.retention_sql import ExpiredRunRow
from legato.store.rows import fetch_all

log = logging.getLogger(__name__)

PAYLOADS_PER_RUN = 10  # a payload batch empties up to batch_runs * 10 jobs
LOCK_TIMEOUT = "SET LOCAL lock_timeout = '10s'"


@dataclass(slots=True)
class Swept:
    """What one sweep (or one batch) did."""

    runs: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    payloads: int = 0

    def add(self, other: "Swept") -> None:
        self.runs += other.runs
        self.payloads += other.payloads
        for table, n in other.rows.items():
            self.rows[table] = self.rows.get(table, 0) + n


class Retention:
    def __init__(self, pool: ConnectionPool[Any], settings: Settings, stop: threading.Event | None = None):
        self.pool = pool
        self.run_age_s = settings.retention.days * 86400
        self.payload_age_s = settings.retention.job_payload_hours * 3600
        self.batch_runs = settings.retention.batch_runs
        self.interval_s = settings.retention.interval_s
        self.stop = stop or threading.Event()
        self._thread: threading.Thread | None = None
        self._next_at = 0.0

    @property
    def enabled(self) -> bool:
        return self.run_age_s > 0 or self.payload_age_s > 0

    def delete_batch(self) -> Swept:
        """One transaction: lock up to batch_runs expired runs, delete them and all their rows."""
        swept = Swept()
        if self.run_age_s <= 0:
            return swept
        started = time.perf_counter()
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(LOCK_TIMEOUT)
            expired = fetch_all(
                cur, ExpiredRunRow, retention_sql.LOCK_EXPIRED_RUNS, (self.run_age_s, self.batch_runs)
            )
            run_ids = [r.run_id for r in expired]
            if not run_ids:
                return swept
            for table, statement in retention_sql.DELETE_RUN_ROWS:
                cur.execute(statement, (run_ids,))
                swept.rows[table] = cur.rowcount
        swept.runs = swept.rows["runs"]
        metrics.RETENTION_BATCH_SECONDS.labels("runs").observe(time.perf_counter() - started)
        metrics.RETENTION_RUNS.inc(swept.runs)
        for table, n in swept.rows.items():
            metrics.RETENTION_ROWS.labels(table).inc(n)
        return swept

    def drop_fires_batch(self) -> int:
        """One transaction: delete up to batch_runs * 10 old fire times that started no run."""
        if self.run_age_s <= 0:
            return 0
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(LOCK_TIMEOUT)
            cur.execute(retention_sql.DROP_OLD_FIRES, (self.run_age_s, self.batch_runs * PAYLOADS_PER_RUN))
            dropped: int = cur.rowcount
        metrics.RETENTION_ROWS.labels("schedule_fires").inc(dropped)
        return dropped

    def drop_payload_batch(self) -> int:
        """One transaction: empty the payloads of up to batch_runs * 10 long-finished jobs."""
        if self.payload_age_s <= 0:
            return 0
        started = time.perf_counter()
        limit = self.batch_runs * PAYLOADS_PER_RUN
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(LOCK_TIMEOUT)
            cur.execute(retention_sql.DROP_OLD_PAYLOADS, (self.payload_age_s, limit))
            dropped: int = cur.rowcount
        metrics.RETENTION_BATCH_SECONDS.labels("payloads").observe(time.perf_counter() - started)
        metrics.RETENTION_PAYLOADS.inc(dropped)
        return dropped

    def sweep(self) -> Swept:
        """Batches until one comes back short (or the engine stops): expired runs, then payloads."""
        total = Swept()
        while not self.stop.is_set():
            batch = self.delete_batch()
            total.add(batch)
            if batch.runs < self.batch_runs:
                break
        limit = self.batch_runs * PAYLOADS_PER_RUN
        while not self.stop.is_set() and self.drop_fires_batch() == limit:
            pass
        while not self.stop.is_set():
            dropped = self.drop_payload_batch()
            total.payloads += dropped
            if dropped < limit:
                break
        return total

    def start_if_due(self) -> None:
        """Start a sweep in the background if one is due and none is running. Never blocks."""
        now = time.monotonic()
        if not self.enabled or now < self._next_at or (self._thread and self._thread.is_alive()):
            return
        self._next_at = now + self.interval_s
        self._thread = threading.Thread(target=self._sweep_logged, name="legato-retention", daemon=True)
        self._thread.start()

    def _sweep_logged(self) -> None:
        started = time.monotonic()
        try:
            swept = self.sweep()
        except Exception as exc:
            metrics.RETENTION_ERRORS.inc()
            if not self.stop.is_set():
                log.warning("retention sweep failed (tried again in %.0fs): %r", self.interval_s, exc)
            return
        if swept.runs or swept.payloads:
            log.info(
                "retention: deleted %d runs (%s) and emptied %d job payloads in %.1fs",
                swept.runs,
                ", ".join(f"{t} {n}" for t, n in swept.rows.items() if t != "runs"),
                swept.payloads,
                time.monotonic() - started,
            )


_SWEEPERS: "weakref.WeakKeyDictionary[ConnectionPool[Any], Retention]" = weakref.WeakKeyDictionary()


def run_due(pool: ConnectionPool[Any], settings: Settings, stop: threading.Event) -> None:
    """The engine's hook (called on every tick): a sweep starts in the background when one is due."""
    sweeper = _SWEEPERS.get(pool)
    if sweeper is None:
        sweeper = _SWEEPERS[pool] = Retention(pool, settings, stop)
    sweeper.start_if_due()
