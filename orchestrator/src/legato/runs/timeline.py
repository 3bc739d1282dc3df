"""A run's attempts, oldest first, paged, and its waits: what a timeline of the run is drawn from."""

from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from legato.runs.filters import decode_cursor, encode_cursor
from legato.runs.queries import iso
from legato.store import runs_sql, timeline_sql
from legato.store.rows import fetch_all

MAX_ATTEMPTS_PAGE = 1000


def _attempt(r: timeline_sql.AttemptRow) -> dict[str, Any]:
    return {
        "jobId": str(r.job_id),
        "stepId": r.step_id,
        "item": r.item_index,
        "attempt": r.attempt,
        "state": r.state,
        "createdAt": iso(r.created_at),
        "dispatchedAt": iso(r.dispatched_at),
        "startedAt": iso(r.started_at),
        "finishedAt": iso(r.finished_at),
        "workerId": r.worker_id,
        "deadlineKind": r.deadline_kind,
        "requeues": r.requeues,
        "action": r.action,
        "generation": r.generation,
    }


def attempts(pool: ConnectionPool, run_id: UUID, limit: int, cursor: str | None) -> dict[str, Any] | None:
    """None when the run does not exist."""
    after = decode_cursor(cursor) if cursor else None
    with pool.connection() as conn:
        if conn.execute(runs_sql.RUN_EXISTS, (run_id,)).fetchone() is None:
            return None
        if after is None:
            rows = fetch_all(conn, timeline_sql.AttemptRow, timeline_sql.ATTEMPTS, (run_id, limit + 1))
        else:
            rows = fetch_all(
                conn, timeline_sql.AttemptRow, timeline_sql.ATTEMPTS_AFTER, (run_id, *after, limit + 1)
            )
        waits = fetch_all(conn, timeline_sql.WaitRow, timeline_sql.WAITS, (run_id,))
    page = rows[:limit]
    return {
        "runId": str(run_id),
        "attempts": [_attempt(r) for r in page],
        "waits": [
            {
                "stepId": w.step_id,
                "status": w.status,
                "startedAt": iso(w.started_at),
                "endedAt": iso(w.ended_at),
                "wakeAt": iso(w.wake_at),
            }
            for w in waits
        ],
        "nextCursor": encode_cursor(page[-1].created_at, page[-1].job_id) if len(rows) > limit else None,
    }
