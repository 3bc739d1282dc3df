"""Run operations: cancel a run, retry a failed run from where it failed, pause and resume a run.

Both take the run's row lock, so they serialise with each other and with DLT replays; both are
idempotent (cancelling a cancelled run, or retrying a run that is running again, changes nothing)
and are recorded in the run's events. What a retry runs again is the state machine's to decide
(workflow.resume).
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.definitions.registry import DefinitionRegistry
from legato.store import attempts_sql, engine_sql
from legato.store import operations_sql as sql
from legato.store.rows import fetch_one
from legato.workflow import pause as paused
from legato.workflow.model import RunRef
from legato.workflow.resume import WrongState, record_event
from legato.workflow.resume import resume as reopen

__all__ = ["Outcome", "RunNotFound", "WrongState", "cancel", "pause", "resume", "retry"]


class RunNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Outcome:
    run_id: UUID
    status: str
    changed: bool
    steps: tuple[str, ...] = ()  # the steps a retry re-runs

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"runId": str(self.run_id), "status": self.status, "changed": self.changed}
        if self.steps:
            out["retriedSteps"] = list(self.steps)
        return out


def _lock(cur: psycopg.Cursor[Any], run_id: UUID) -> sql.RunStateRow:
    row = fetch_one(cur, sql.RunStateRow, sql.LOCK_RUN, (run_id,))
    if row is None:
        raise RunNotFound(str(run_id))
    return row


def cancel(pool: ConnectionPool, run_id: UUID) -> Outcome:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        locked = _lock(cur, run_id)
        status, workflow_id = locked.status, locked.workflow_id
        if status == "CANCELLED":
            return Outcome(run_id, status, changed=False)
        if status not in ("PENDING", "RUNNING", "PAUSED"):
            raise WrongState(
                f"run {run_id} is {status}; only a PENDING, RUNNING or PAUSED run can be cancelled"
            )
        cur.execute(sql.CANCEL_RUN, (run_id,))
        cur.execute(sql.CANCEL_STEPS, (run_id,))
        steps = cur.rowcount
        cur.execute(sql.CANCEL_ITEMS, (run_id,))
        cur.execute(attempts_sql.WITHDRAW_RUN_JOBS, ([run_id], "RunCancelled", "the run was cancelled"))
        record_event(
            cur, run_id, "RUN_CANCELLED", {"previousStatus": status, "steps": steps, "jobs": cur.rowcount}
        )
        cur.execute(engine_sql.NOTIFY_WITHDRAWALS)  # the engine publishes the withdrawals at once
        cur.execute(engine_sql.NOTIFY_WAKE)  # and cancels the run's open children
    metrics.child(metrics.RUNS_FINISHED, workflow_id, "CANCELLED").inc()
    return Outcome(run_id, "CANCELLED", changed=True)


def retry(
    pool: ConnectionPool,
    registry: DefinitionRegistry,
    jobs_prefix: str,
    run_id: UUID,
) -> Outcome:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        locked = _lock(cur, run_id)
        if locked.status in ("RUNNING", "PAUSED"):
            return Outcome(run_id, locked.status, changed=False)
        if locked.status != "FAILED":
            raise WrongState(f"run {run_id} is {locked.status}; only a FAILED run can be retried")
        run = RunRef(run_id, locked.workflow_id, locked.version, locked.correlation_id)
        again = reopen(cur, registry.get, jobs_prefix, run, "RUN_RETRIED")
    return Outcome(run_id, "RUNNING", changed=True, steps=tuple(again))


def pause(pool: ConnectionPool, run_id: UUID) -> Outcome:
    """Hold a RUNNING run (workflow.pause); pausing a paused run changes nothing."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        locked = _lock(cur, run_id)
        if locked.status == "PAUSED":
            return Outcome(run_id, locked.status, changed=False)
        if locked.status != "RUNNING":
            raise WrongState(f"run {run_id} is {locked.status}; only a RUNNING run can be paused")
        paused.pause(cur, RunRef(run_id, locked.workflow_id, locked.version, locked.correlation_id))
    return Outcome(run_id, "PAUSED", changed=True)


def resume(pool: ConnectionPool, registry: DefinitionRegistry, jobs_prefix: str, run_id: UUID) -> Outcome:
    """Let a PAUSED run go on from where it stopped; resuming a running run changes nothing."""
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        locked = _lock(cur, run_id)
        if locked.status == "RUNNING":
            return Outcome(run_id, locked.status, changed=False)
        if locked.status != "PAUSED":
            raise WrongState(f"run {run_id} is {locked.status}; only a PAUSED run can be resumed")
        run = RunRef(run_id, locked.workflow_id, locked.version, locked.correlation_id)
        settled = paused.unpause(cur, registry.get, jobs_prefix, run)
    metrics.runs_settled(((r.workflow_id, r.status) for r in settled.runs), settled.started)
    return Outcome(run_id, "RUNNING", changed=True)
