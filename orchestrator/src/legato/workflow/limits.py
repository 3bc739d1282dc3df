"""Per-action limits in the state machine: a job of a limited action waits in PostgreSQL until it
is admitted, and is published only then.

`hold_limited` marks the jobs of a plan whose action has a limit before the plan is written: they
are written throttled and nobody publishes them after the commit. `admit` (the engine, on every
tick and after every result batch) admits the throttled jobs that free slots and tokens allow,
under each action's limit row lock (store.limits_sql), and answers them leased for publication.

Which actions have a limit is read at most REFRESH_S ago (per process): a new limit holds for the
jobs made from then on, and for the live jobs of the action when it was set (flow.action_limits).
"""

import threading
import time
from typing import Any

import psycopg

from legato.kafka.clients import HANDOVER_MS
from legato.store import limits_sql
from legato.store.engine_sql import DueJobRow
from legato.store.limits_sql import ActionRow
from legato.store.rows import fetch_all
from legato.workflow.model import NewJob
from legato.workflow.outbox import due_jobs

Cursor = psycopg.Cursor[Any]

REFRESH_S = 1.0
BATCH = 500  # jobs admitted per action per round


class LimitedActions:
    """The actions with a limit, as this process last read them (at most REFRESH_S ago)."""

    def __init__(self) -> None:
        self._actions: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, cur: Cursor) -> frozenset[str]:
        if self.stale():
            actions = frozenset(r.action for r in fetch_all(cur, ActionRow, limits_sql.LIMITED_ACTIONS))
            with self._lock:
                self._actions, self._read_at = actions, time.monotonic()
        return self._actions

    def stale(self) -> bool:
        return time.monotonic() - self._read_at >= REFRESH_S

    def known(self) -> frozenset[str]:
        """As last read (no round trip): empty when no limit was seen."""
        return self._actions

    def forget(self) -> None:
        """Read them again at the next use (this process changed a limit)."""
        with self._lock:
            self._read_at = float("-inf")


LIMITED = LimitedActions()


def hold_limited(cur: Cursor, jobs: list[NewJob]) -> None:
    """Jobs of a limited action: written throttled, and not published by whoever wrote them."""
    limited = LIMITED.get(cur)
    if not limited:
        return
    for job in jobs:
        if job.action in limited:
            job.limited = True
            if job.immediate:  # admitted at once if a slot and a token are free
                job.immediate = False
                job.delay_ms = 0


def admit(cur: Cursor) -> list[NewJob]:
    """The throttled jobs admitted now, leased for publication (call inside a transaction)."""
    actions = sorted(LIMITED.get(cur))
    if not actions:
        return []
    locked = [r.action for r in fetch_all(cur, ActionRow, limits_sql.LOCK_LIMITS, (actions,))]
    admitted: list[NewJob] = []
    for action in locked:
        rows = fetch_all(
            cur, DueJobRow, limits_sql.ADMIT, {"action": action, "batch": BATCH, "lease_ms": HANDOVER_MS}
        )
        admitted += due_jobs(rows)
    return admitted


def release_unlimited(cur: Cursor, actions: list[str] | None = None) -> int:
    """Throttled jobs of `actions` (None: of every action) that have no limit any more: released to
    the outbox. How many."""
    cur.execute(limits_sql.RELEASE_UNLIMITED, {"actions": actions})
    return cur.rowcount
