"""Dead letters as the `dead_letters` table holds them: one row per dead job, keyed by its job id."""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg

from legato.store import dlt_sql

# The id of a dead letter is the dead job's id (header legato-job-id); a unique prefix of at
# least 8 characters also names it. `<partition>-<offset>` names a record of the Kafka topic.
KAFKA_ID = re.compile(r"^(\d+)-(\d+)$")
PREFIX = re.compile(r"^[0-9a-f-]{8,36}$")


class UnknownId(Exception):
    """No dead letter has this id; the message says why."""


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    job_id: uuid.UUID
    dead_at: datetime
    workflow_id: str
    version: int
    run_id: uuid.UUID
    step_id: str
    item_index: int | None
    action: str
    attempt: int
    generation: int
    reason: str
    error_type: str
    error_message: str
    correlation_id: str | None
    replayed_at: datetime | None
    replay_job_id: uuid.UUID | None
    payload: str | None = None
    headers: dict[str, str] | None = None

    @property
    def id(self) -> str:
        return str(self.job_id)

    @property
    def where(self) -> str:
        """The step (and map item) it came from, for messages."""
        return self.step_id if self.item_index is None else f"{self.step_id}[{self.item_index}]"

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "failedAt": self.dead_at.isoformat(),
            "workflowId": self.workflow_id,
            "version": self.version,
            "runId": str(self.run_id),
            "stepId": self.step_id,
            "itemIndex": self.item_index,
            "action": self.action,
            "attempts": self.attempt,
            "generation": self.generation,
            "reason": self.reason,
            "errorType": self.error_type,
            "errorMessage": self.error_message,
            "replayed": self.replayed_at is not None,
            "replayedAt": self.replayed_at.isoformat() if self.replayed_at else None,
            "replayJobId": str(self.replay_job_id) if self.replay_job_id else None,
        }

    def detail(self) -> dict[str, Any]:
        """Everything `legato dlt show` prints about the record itself."""
        out = self.summary()
        out["correlationId"] = self.correlation_id
        if self.payload is None:
            out["payload"] = None
            out["payloadKept"] = False  # Kafka refused the job, or retention dropped it
        else:
            try:
                out["payload"] = orjson.loads(self.payload)
            except orjson.JSONDecodeError:
                out["payload"] = self.payload
            out["payloadKept"] = True
        out["headers"] = self.headers or {}
        return out


def row(values: tuple[Any, ...]) -> DeadLetterRow:
    return DeadLetterRow(*values)


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
    return [row(r) for r in conn.execute(dlt_sql.LIST, params).fetchall()]


def get_row(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> DeadLetterRow | None:
    found = conn.execute(dlt_sql.GET, (job_id,)).fetchone()
    return row(found) if found else None


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
    matches = [r[0] for r in conn.execute(dlt_sql.BY_PREFIX, (text + "%",)).fetchall()]
    if not matches:
        raise UnknownId(f"no dead letter {raw!r} (IDs are listed by `legato dlt list`)")
    if len(matches) > 1:
        raise UnknownId(f"{raw!r} names more than one dead letter; give more of its id")
    found: uuid.UUID = matches[0]
    return found
