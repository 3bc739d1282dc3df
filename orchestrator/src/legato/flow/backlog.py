"""Admission control: a trigger is refused (429, Retry-After) while too much work has not started.

Work not started is PENDING runs plus jobs no worker has started (store.backlog_sql), counted by a
thread of the API process every SAMPLE_S: the check on the trigger path reads the last sample and
costs nothing (runs started here since the sample are added). The global limit is
LEGATO_MAX_BACKLOG (0: none); a workflow's own is its latest definition's `maxBacklog`, read with
each sample. Retry-After is the time the excess takes to drain at the rate jobs ended
over the last DRAIN_WINDOW_S seconds (1 to MAX_RETRY_AFTER_S). A refused trigger stores nothing.
"""

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from legato import metrics
from legato.store import backlog_sql
from legato.store.backlog_sql import DrainedRow, MaxBacklogRow, WaitingRow
from legato.store.rows import fetch_all, fetch_one

log = logging.getLogger(__name__)

SAMPLE_S = 1.0
DRAIN_WINDOW_S = 10
MAX_RETRY_AFTER_S = 60


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a trigger is refused: which limit (`global` or `workflow`), the work waiting, the limit,
    and when to try again (s)."""

    scope: str
    backlog: int
    limit: int
    retry_after_s: int

    def message(self, workflow_id: str) -> str:
        which = (
            "LEGATO_MAX_BACKLOG" if self.scope == "global" else f"the maxBacklog of workflow {workflow_id}"
        )
        return (
            f"too much work has not started yet ({self.backlog} waiting, {which} is {self.limit}); "
            f"try again in {self.retry_after_s} s"
        )


class Backlog:
    def __init__(self, pool: ConnectionPool[Any], max_backlog: int) -> None:
        self._pool = pool
        self._max = max_backlog
        self._total = 0
        self._by_workflow: dict[str, int] = {}
        self._limits: dict[str, int] = {}  # each workflow's maxBacklog (its latest version's)
        self._drain_per_s = 0.0
        self._lock = threading.Lock()
        self._accepted: dict[str, int] = {}  # runs this process started since the last sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legato-backlog", daemon=True)

    def start(self) -> None:
        """Start sampling (once; later calls change nothing)."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sample(self) -> None:
        with self._pool.connection() as conn:
            rows = fetch_all(conn, WaitingRow, backlog_sql.BACKLOG)
            drained = fetch_one(conn, DrainedRow, backlog_sql.DRAINED, (DRAIN_WINDOW_S,))
            limits = fetch_all(conn, MaxBacklogRow, backlog_sql.MAX_BACKLOGS)
        self._limits = {r.workflow_id: r.max_backlog for r in limits}
        with self._lock:
            self._by_workflow = {r.workflow_id: r.waiting for r in rows}
            self._total = sum(self._by_workflow.values())
            self._accepted = {}
        self._drain_per_s = (drained.jobs if drained else 0) / DRAIN_WINDOW_S
        metrics.BACKLOG.set(self._total)

    def accepted(self, workflow_id: str, runs: int = 1) -> None:
        """Runs started here: counted until the next sample does."""
        with self._lock:
            self._accepted[workflow_id] = self._accepted.get(workflow_id, 0) + runs
            self._total += runs

    @property
    def total(self) -> int:
        return self._total

    def check(self, workflow_id: str) -> Refusal | None:
        """A Refusal when the global backlog or the workflow's is at its limit, else None."""
        max_backlog = self._limits.get(workflow_id)
        if self._max and self._total >= self._max:
            return Refusal("global", self._total, self._max, self._retry_after(self._total - self._max + 1))
        waiting = self._by_workflow.get(workflow_id, 0) + self._accepted.get(workflow_id, 0)
        if max_backlog is not None and waiting >= max_backlog:
            return Refusal("workflow", waiting, max_backlog, self._retry_after(waiting - max_backlog + 1))
        return None

    def _retry_after(self, excess: int) -> int:
        if self._drain_per_s <= 0:  # nothing ends: try again late
            return MAX_RETRY_AFTER_S
        return max(1, min(MAX_RETRY_AFTER_S, math.ceil(excess / self._drain_per_s)))

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception as exc:  # an outage: keep the last sample, try again (logged once)
                if not failing:
                    log.warning(
                        "cannot count the work not started (retrying every %.0f s): %r", SAMPLE_S, exc
                    )
                failing = True
            else:
                if failing:
                    log.info("counting the work not started again")
                failing = False
            self._stop.wait(SAMPLE_S)
