"""Send a signal to a run, and list the signals a run received (workflow.signals).

A signal is stored in the transaction that receives it, under the run's lock, and handed at once to
a step waiting for it (the oldest waiting first), which completes with its payload; otherwise it is
kept for the next step of that name to wait. The same `signalId` twice is one signal (per run,
whatever the name): the second send changes nothing and is answered as a duplicate, with the name
the first one had, also once the run has ended.
"""

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from psycopg_pool import ConnectionPool
from uuid_utils.compat import uuid7

from legato import metrics
from legato.definitions.registry import DefinitionRegistry
from legato.runs.operations import RunNotFound, WrongState
from legato.runs.queries import iso
from legato.store import engine_sql, runs_sql, signals_sql
from legato.store.rows import fetch_all, fetch_one
from legato.store.signals_sql import SignalIdRow, SignalNameRow, SignalRow, SignalRunRow
from legato.workflow import signals
from legato.workflow.resume import record_event
from legato.workflow.settle import settle
from legato.workflow.transitions import Planner

OPEN = ("PENDING", "RUNNING", "PAUSED")
MAX_LISTED = 1000
LISTED_BYTES = 8 * 1024 * 1024  # of payloads per answer (as stored): a list stops before it passes


class UnknownSignal(ValueError):
    """The run's workflow has no step that waits for a signal of this name (HTTP 422)."""


@dataclass(frozen=True, slots=True)
class Sent:
    run_id: UUID
    name: str
    signal_id: str
    duplicate: bool
    consumed_by: str | None  # the step that took it in this request, if one was waiting

    def to_json(self) -> dict[str, Any]:
        return {
            "runId": str(self.run_id),
            "name": self.name,
            "signalId": self.signal_id,
            "duplicate": self.duplicate,
            "consumedBy": self.consumed_by,
        }


def send(
    pool: ConnectionPool,
    registry: DefinitionRegistry,
    jobs_prefix: str,
    run_id: UUID,
    name: str,
    payload: str,
    signal_id: str | None,
) -> Sent:
    """Receive a signal (`payload`: checked JSON text) for a run that has not ended."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        run = fetch_one(cur, SignalRunRow, signals_sql.LOCK_RUN, (run_id,))
        if run is None:
            raise RunNotFound(str(run_id))
        if signal_id is not None:  # a resend, even after its first send ended the run
            known = fetch_one(cur, SignalNameRow, signals_sql.SIGNAL_BY_ID, (run_id, signal_id))
            if known is not None:
                return Sent(run_id, known.name, signal_id, duplicate=True, consumed_by=None)
        if run.status not in OPEN:
            raise WrongState(
                f"run {run_id} is {run.status}; a signal can only be sent to a run that has not ended"
            )
        definition = registry.get(run.workflow_id, run.version)
        names = sorted({s.signal.name for s in definition.steps if s.signal is not None})
        if name not in names:
            waits = ", ".join(names) if names else "none"
            raise UnknownSignal(
                f"workflow {run.workflow_id} (version {run.version}) has no step waiting for signal "
                f"{name!r}; its signals: {waits}"
            )
        sid = signal_id if signal_id is not None else str(uuid7())
        if fetch_one(cur, SignalIdRow, signals_sql.INSERT_SIGNAL, (run_id, name, sid, payload)) is None:
            return Sent(
                run_id, name, sid, duplicate=True, consumed_by=None
            )  # (the check above, exact under the lock, answers first)
        record_event(cur, run_id, "SIGNAL_RECEIVED", {"name": name, "signalId": sid})
        planner = Planner(jobs_prefix, int(time.time() * 1000), grace_ms=0)  # the relay's at once
        signals.deliver(cur, planner, [run_id])
        taken = next((e.step_id for e in planner.plan.ended), None)
        settled = None
        if taken is not None:
            settled = settle(cur, planner.plan, registry.get, jobs_prefix, grace_ms=0)
            cur.execute(engine_sql.NOTIFY_JOBS)
    if settled is not None:
        metrics.runs_settled(((r.workflow_id, r.status) for r in settled.runs), settled.started)
    return Sent(run_id, name, sid, duplicate=False, consumed_by=taken)


def received(pool: ConnectionPool, run_id: UUID, limit: int = MAX_LISTED) -> dict[str, Any] | None:
    """The run's first signals, oldest first: at most `limit`, and no more once LISTED_BYTES of
    payloads were read; `more` when the run has others. None for an unknown run."""
    with pool.connection() as conn:
        if conn.execute(runs_sql.RUN_EXISTS, (run_id,)).fetchone() is None:
            return None
        rows = fetch_all(
            conn, SignalRow, signals_sql.LIST, {"run_id": run_id, "limit": limit + 1, "bytes": LISTED_BYTES}
        )
    listed = rows[:limit]
    more = bool(rows) and rows[0].seen > len(listed)
    return {"runId": str(run_id), "signals": [_row(r) for r in listed], "more": more}


def _row(r: SignalRow) -> dict[str, Any]:
    return {
        "signalId": r.signal_id,
        "name": r.name,
        "payload": None if r.payload is None else orjson.loads(r.payload),
        "receivedAt": iso(r.received_at),
        "consumedAt": iso(r.consumed_at),
        "stepId": r.step_id,
    }
