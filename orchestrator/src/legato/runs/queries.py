"""Read runs, their steps and their history back for the API and the CLI."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from psycopg_pool import ConnectionPool

from legato.definitions import Definition, StepDef
from legato.store import feed_sql, runs_sql
from legato.store.rows import fetch_all, fetch_one

Lookup = Callable[[str, int], Definition]


def iso(value: datetime | None) -> str | None:
    """A timestamp as the API shows it (ISO 8601), or None."""
    return value.isoformat() if value else None


def get_run(pool: ConnectionPool, run_id: UUID, lookup: Lookup) -> dict[str, Any] | None:
    with pool.connection() as conn:
        row = fetch_one(conn, runs_sql.RunRow, runs_sql.GET_RUN, (run_id,))
        if row is None:
            return None
        steps = fetch_all(conn, runs_sql.StepRow, runs_sql.GET_STEPS, (run_id,))
    definition = lookup(row.workflow_id, row.version)
    return {
        "runId": str(row.run_id),
        "workflowId": row.workflow_id,
        "version": row.version,
        "status": row.status,
        "input": row.input,
        "output": row.output,
        "error": row.error,
        "correlationId": row.correlation_id,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "endedAt": iso(row.ended_at),
        "parentRunId": None if row.parent_run_id is None else str(row.parent_run_id),
        "parentStepId": row.parent_step_id,
        "scheduleId": row.schedule_id,
        "scheduledAt": iso(row.scheduled_at),
        "triggerId": row.trigger_id,
        "priority": row.priority,
        "concurrencyKey": row.concurrency_key,
        "waitingFor": _run_waits_for(row, definition),
        "steps": [_step(s, definition.by_id.get(s.step_id)) for s in steps],
    }


def _run_waits_for(row: runs_sql.RunRow, definition: Definition) -> str | None:
    """A PENDING run waits for a run of its concurrency key to end."""
    if row.status != "PENDING" or definition.concurrency is None:
        return None
    return f"a free slot of concurrency key {row.concurrency_key!r} (limit {definition.concurrency.limit})"


def _step(s: runs_sql.StepRow, step: StepDef | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.step_id,
        "kind": step.kind if step is not None else "task",
        "action": s.action,
        "status": s.status,
        "attempts": s.attempts,
        "input": s.input,
        "output": s.output,
        "error": s.error,
        "startedAt": iso(s.started_at),
        "endedAt": iso(s.ended_at),
        "waitingFor": f"a slot of action {s.action}" if s.throttled else None,
    }
    if step is not None and step.signal is not None:
        out["signal"] = {"name": step.signal.name}
    if step is not None and step.child is not None:
        out["workflow"] = {"id": step.child.workflow_id, "version": step.child.version}
        out["childRunId"] = None if s.child_run_id is None else str(s.child_run_id)
    if s.wake_at is not None:
        out["wakeAt"] = iso(s.wake_at)
    if s.items_total is not None:
        assert s.items_open is not None  # written with items_total
        out["items"] = {"total": s.items_total, "completed": s.items_total - s.items_open}
    if s.live_job_id is not None:
        deadline = None if s.deadline_at is None else {"at": iso(s.deadline_at), "kind": s.deadline_kind}
        out["liveAttempt"] = {
            "jobId": str(s.live_job_id),
            "state": "running" if s.live_started_at else "throttled" if s.live_throttled else "queued",
            "startedAt": iso(s.live_started_at),
            "heartbeatAt": iso(s.heartbeat_at),
            "progress": None if s.details is None else orjson.loads(s.details),
            "workerId": s.worker_id,
            "deadline": deadline,
        }
    return out


def get_events(pool: ConnectionPool, run_id: UUID, after: int, limit: int) -> list[dict[str, Any]] | None:
    with pool.connection() as conn:
        if conn.execute(runs_sql.RUN_EXISTS, (run_id,)).fetchone() is None:
            return None
        rows = fetch_all(conn, runs_sql.EventRow, runs_sql.GET_EVENTS, (run_id, after, min(limit, 1000)))
    return [_event(r) for r in rows]


def status_and_events(
    pool: ConnectionPool, run_id: UUID, after: int, limit: int
) -> tuple[str | None, list[dict[str, Any]]]:
    """The run's status (None: no such run), then its events after `after`: read in this order, a
    status that says the run ended comes with every event up to its end (feed_sql.RUN_STATUS)."""
    with pool.connection() as conn:
        status = conn.execute(feed_sql.RUN_STATUS, (run_id,)).fetchone()
        if status is None:
            return None, []
        rows = fetch_all(conn, runs_sql.EventRow, runs_sql.GET_EVENTS, (run_id, after, limit))
    return str(status[0]), [_event(r) for r in rows]


def _event(r: runs_sql.EventRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": iso(r.at),
        "type": r.type,
        "stepId": r.step_id,
        "attempt": r.attempt,
        "data": r.data,
    }
