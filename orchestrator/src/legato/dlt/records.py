"""Dead letters as the `dead_letters` table holds them: one row per dead job, keyed by its job id."""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg

from legato.store import dlt_sql
from legato.store.dlt_sql import DeadLetterDetailRow, DeadLetterRow
from legato.store.rows import fetch_all, fetch_one

# The id of a dead letter is the dead job's id (header legato-job-id); a unique prefix of at
# least 8 characters also names it. `<partition>-<offset>` names a record of the Kafka topic.
KAFKA_ID = re.compile(r"^(\d+)-(\d+)$")
PREFIX = re.compile(r"^[0-9a-f-]{8,36}$")


class UnknownId(Exception):
    """No dead letter has this id; the message says why."""


def summary(r: DeadLetterRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "failedAt": r.dead_at.isoformat(),
        "workflowId": r.workflow_id,
        "version": r.version,
        "runId": str(r.run_id),
        "stepId": r.step_id,
        "itemIndex": r.item_index,
        "action": r.action,
        "attempts": r.attempt,
        "generation": r.generation,
        "reason": r.reason,
        "errorType": r.error_type,
        "errorMessage": r.error_message,
        "replayed": r.replayed_at is not None,
        "replayedAt": r.replayed_at.isoformat() if r.replayed_at else None,
        "replayJobId": str(r.replay_job_id) if r.replay_job_id else None,
    }


def detail(r: DeadLetterDetailRow) -> dict[str, Any]:
    """Everything `legato dlt show` prints about the record itself."""
    out = summary(r)
    out["correlationId"] = r.correlation_id
    if r.payload is None:
        out["payload"] = None
        out["payloadKept"] = False  # Kafka refused the job, or retention dropped it
    else:
        try:
            out["payload"] = orjson.loads(r.payload)
        except orjson.JSONDecodeError:
            out["payload"] = r.payload
        out["payloadKept"] = True
    out["headers"] = r.headers or {}
    return out


@dataclass(frozen=True, slots=True)
class Filters:
    workflow: str | None = None
    action: str | None = None
    error_type: str | None = None
    run_id: uuid.UUID | None = None
    since: datetime | None = None
    pending: bool = False  # only those not replayed yet


def list_rows(
    conn: psycopg.Connection[Any], filters: Filters, limit: int, after: DeadLetterRow | None = None
) -> list[DeadLetterRow]:
    """Oldest first; `after` (the last row of the previous page) pages on."""
    params = {
        "workflow": filters.workflow,
        "action": filters.action,
        "error_type": filters.error_type,
        "run_id": filters.run_id,
        "since": filters.since,
        "pending": filters.pending,
        "after_at": after.dead_at if after else None,
        "after_id": after.job_id if after else None,
        "limit": limit,
    }
    return fetch_all(conn, DeadLetterRow, dlt_sql.LIST, params)


def get_row(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> DeadLetterDetailRow | None:
    return fetch_one(conn, DeadLetterDetailRow, dlt_sql.GET, (job_id,))


def resolve(conn: psycopg.Connection[Any], raw: str) -> uuid.UUID:
    """The job id a dead letter id (full, or a unique prefix) names; UnknownId if none."""
    text = raw.strip().lower()
    try:
        job_id = uuid.UUID(text)
    except ValueError:
        job_id = None
    if job_id is not None:
        if conn.execute(dlt_sql.GET, (job_id,)).fetchone() is None:
            raise UnknownId(f"no dead letter {raw!r} (IDs are listed by `legato dlt list`)")
        return job_id
    if not PREFIX.match(text):
        raise UnknownId(
            f"{raw!r} is not a dead letter id: use the ID column of `legato dlt list` (the dead job's id)"
        )
    matches = [r.job_id for r in fetch_all(conn, dlt_sql.DeadJobRow, dlt_sql.BY_PREFIX, (text + "%",))]
    if not matches:
        raise UnknownId(f"no dead letter {raw!r} (IDs are listed by `legato dlt list`)")
    if len(matches) > 1:
        raise UnknownId(f"{raw!r} names more than one dead letter; give more of its id")
    return matches[0]
