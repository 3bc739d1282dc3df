"""A run's attempts, oldest first, paged, and its waits: what a timeline of the run is drawn from."""

from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from legato.runs.filters import decode_cursor, encode_cursor
from legato.runs.queries import iso
from legato.store import runs_sql, timeline_sql

MAX_ATTEMPTS_PAGE = 1000


def _attempt(r: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "jobId": str(r[0]),
        "stepId": r[1],
        "item": r[2],
        "attempt": r[3],
        "state": r[4],
        "createdAt": iso(r[5]),
        "dispatchedAt": iso(r[6]),
        "startedAt": iso(r[7]),
        "finishedAt": iso(r[8]),
        "workerId": r[9],
        "deadlineKind": r[10],
        "requeues": r[11],
        "action": r[12],
        "generation": r[13],
    }


def attempts(pool: ConnectionPool, run_id: UUID, limit: int, cursor: str | None) -> dict[str, Any] | None:
    """None when the run does not exist."""
    after = decode_cursor(cursor) if cursor else None
    with pool.connection() as conn:
        if conn.execute(runs_sql.RUN_EXISTS, (run_id,)).fetchone() is None:
            return None
        if after is None:
            rows = conn.execute(timeline_sql.ATTEMPTS, (run_id, limit + 1)).fetchall()
        else:
            rows = conn.execute(timeline_sql.ATTEMPTS_AFTER, (run_id, *after, limit + 1)).fetchall()
        waits = conn.execute(timeline_sql.WAITS, (run_id,)).fetchall()
    page = rows[:limit]
    return {
        "runId": str(run_id),
        "attempts": [_attempt(r) for r in page],
        "waits": [
            {
                "stepId": w[0],
                "status": w[1],
                "startedAt": iso(w[2]),
                "endedAt": iso(w[3]),
                "wakeAt": iso(w[4]),
            }
            for w in waits
        ],
        "nextCursor": encode_cursor(page[-1][5], page[-1][0]) if len(rows) > limit else None,
    }
