"""Read runs, their steps and their history back for the API and the CLI."""

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from psycopg_pool import ConnectionPool

from legato.store import runs_sql


def iso(value: datetime | None) -> str | None:
    """A timestamp as the API shows it (ISO 8601), or None."""
    return value.isoformat() if value else None


def get_run(pool: ConnectionPool, run_id: UUID) -> dict[str, Any] | None:
    with pool.connection() as conn:
        row = conn.execute(runs_sql.GET_RUN, (run_id,)).fetchone()
        if row is None:
            return None
        steps = conn.execute(runs_sql.GET_STEPS, (run_id,)).fetchall()
    return {
        "runId": str(row[0]),
        "workflowId": row[1],
        "version": row[2],
        "status": row[3],
        "input": row[4],
        "output": row[5],
        "error": row[6],
        "correlationId": row[7],
        "createdAt": iso(row[8]),
        "updatedAt": iso(row[9]),
        "endedAt": iso(row[10]),
        "steps": [_step(s) for s in steps],
    }


def _step(s: tuple[Any, ...]) -> dict[str, Any]:
    out = {
        "id": s[0],
        "action": s[1],
        "status": s[2],
        "attempts": s[3],
        "input": s[4],
        "output": s[5],
        "error": s[6],
        "startedAt": iso(s[7]),
        "endedAt": iso(s[8]),
    }
    if s[9] is not None:
        out["wakeAt"] = iso(s[9])
    if s[10] is not None:
        out["items"] = {"total": s[10], "completed": s[10] - s[11]}
    if s[12] is not None:
        out["liveAttempt"] = {
            "jobId": str(s[12]),
            "state": "running" if s[13] else "queued",
            "startedAt": iso(s[13]),
            "heartbeatAt": iso(s[14]),
            "progress": None if s[15] is None else orjson.loads(s[15]),
            "workerId": s[16],
            "deadline": None if s[17] is None else {"at": iso(s[17]), "kind": s[18]},
        }
    return out


def get_events(pool: ConnectionPool, run_id: UUID, after: int, limit: int) -> list[dict[str, Any]] | None:
    with pool.connection() as conn:
        if conn.execute(runs_sql.RUN_EXISTS, (run_id,)).fetchone() is None:
            return None
        rows = conn.execute(runs_sql.GET_EVENTS, (run_id, after, min(limit, 1000))).fetchall()
    return [
        {"id": r[0], "at": iso(r[1]), "type": r[2], "stepId": r[3], "attempt": r[4], "data": r[5]}
        for r in rows
    ]
