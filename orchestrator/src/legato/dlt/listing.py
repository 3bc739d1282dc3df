"""Dead letters for the API: the list (newest first, keyset pages), one record, a selection."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg import sql

from legato.store import dead_letter_list_sql
from legato.store.dlt_sql import DeadLetterDetailRow, DeadLetterRow
from legato.store.rows import fetch_all


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    workflow_id: str | None = None
    action: str | None = None
    error_type: str | None = None
    since: datetime | None = None
    run_id: UUID | None = None
    replayed: bool | None = None  # None: both


def page(
    conn: psycopg.Connection[Any], f: DeadLetterFilter, limit: int, after: tuple[datetime, UUID] | None
) -> list[DeadLetterRow]:
    values: dict[str, Any] = {
        "workflow_id": f.workflow_id,
        "action": f.action,
        "error_type": f.error_type,
        "since": f.since,
        "run_id": f.run_id,
        "replayed": True if f.replayed else None,
        "not_replayed": True if f.replayed is False else None,
        "after": after,
    }
    used = [name for name, value in values.items() if value is not None]
    parts = [sql.SQL(dead_letter_list_sql.CONDITIONS[name]) for name in used]
    where = sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")
    params = {k: v for k, v in values.items() if v is not None and k != "after"}
    if after is not None:
        params["after_at"], params["after_id"] = after
    query = sql.SQL(dead_letter_list_sql.PAGE).format(where=where)
    return fetch_all(conn, DeadLetterRow, query, {**params, "limit": limit})


def summary(r: DeadLetterRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "runId": str(r.run_id),
        "stepId": r.step_id,
        "item": r.item_index,
        "workflowId": r.workflow_id,
        "version": r.version,
        "action": r.action,
        "attempt": r.attempt,
        "reason": r.reason,
        "errorType": r.error_type,
        "errorMessage": r.error_message,
        "deadAt": r.dead_at.isoformat(),
        "replayedAt": r.replayed_at.isoformat() if r.replayed_at else None,
        "replayJobId": str(r.replay_job_id) if r.replay_job_id else None,
    }


def detail(r: DeadLetterDetailRow) -> dict[str, Any]:
    """The row plus the DLT record's headers and the payload (parsed; None when not kept)."""
    out = summary(r)
    out["correlationId"] = r.correlation_id
    out["generation"] = r.generation
    out["headers"] = r.headers or {}
    payload: Any = None
    if r.payload is not None:
        try:
            payload = orjson.loads(r.payload)
        except orjson.JSONDecodeError:
            payload = r.payload
    out["payload"] = payload
    out["payloadKept"] = r.payload is not None
    return out
