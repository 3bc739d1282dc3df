"""Statements behind the `dead_letters` table and `legato dlt list | show | replay`.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

# How long a DLT record its engine has not confirmed is left to it before the engine's housekeeping
# publishes it (LEASE_PENDING_RECORDS): longer than the engine's wait for the acknowledgement
# (kafka.confirmed, 30 s), so a record is rarely sent twice.
RECORD_GRACE = "interval '60 seconds'"

# One row per dead job, in the engine transaction that dead-letters it. The generation is the
# job's own; a batch applied again finds its rows already there. `record` holds the job's
# workflow-jobs.DLT record until Kafka has acknowledged it (the dead-letter outbox).
INSERT_DEAD_LETTERS = f"""
INSERT INTO dead_letters (job_id, run_id, step_id, item_index, workflow_id, version, action, attempt,
                          generation, reason, error_type, error_message, payload, headers, correlation_id,
                          record, record_due_at)
SELECT v.job_id, v.run_id, v.step_id, v.item_index, v.workflow_id, v.version, v.action, v.attempt,
       COALESCE(j.generation, 1), v.reason, v.error_type, v.error_message, v.payload, v.headers::jsonb,
       v.correlation_id, v.record, now() + {RECORD_GRACE}
FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::int[], %s::text[], %s::int[], %s::text[], %s::int[],
            %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bytea[])
     AS v(job_id, run_id, step_id, item_index, workflow_id, version, action, attempt,
          reason, error_type, error_message, payload, headers, correlation_id, record)
LEFT JOIN jobs AS j ON j.job_id = v.job_id
ON CONFLICT (job_id) DO NOTHING
"""

# Kafka acknowledged these rows' DLT records: nothing is pending any more.
RECORDS_PUBLISHED = "UPDATE dead_letters SET record = NULL, record_due_at = NULL WHERE job_id = ANY(%s)"

# DLT records whose engine did not confirm them in time (it crashed, or Kafka was away): leased for
# another grace by one engine (SKIP LOCKED), which publishes them and then marks them published.
LEASE_PENDING_RECORDS = f"""
WITH due AS MATERIALIZED (  -- picked once (engine_sql.LEASE_DUE_JOBS says why)
    SELECT job_id FROM dead_letters WHERE record_due_at <= now()
    ORDER BY record_due_at LIMIT %s FOR UPDATE SKIP LOCKED)
UPDATE dead_letters AS d SET record_due_at = now() + {RECORD_GRACE}
FROM due
WHERE d.job_id = due.job_id
RETURNING d.job_id, d.run_id, d.record, d.headers
"""


@dataclass(frozen=True, slots=True)
class PendingRecordRow:
    """A DLT record LEASE_PENDING_RECORDS leased for publication: its value and Kafka headers."""

    job_id: UUID
    run_id: UUID
    record: bytes
    headers: dict[str, Any] | None


COLUMNS = """
job_id, dead_at, workflow_id, version, run_id, step_id, item_index, action, attempt, generation,
reason, error_type, error_message, correlation_id, replayed_at, replay_job_id
"""


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """A dead letter as COLUMNS read it (dead_letter_list_sql.PAGE)."""

    job_id: UUID
    dead_at: datetime
    workflow_id: str
    version: int
    run_id: UUID
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
    replay_job_id: UUID | None

    @property
    def id(self) -> str:
        """The dead letter's id: the dead job's."""
        return str(self.job_id)

    @property
    def where(self) -> str:
        """The step (and map item) it came from, for messages."""
        return self.step_id if self.item_index is None else f"{self.step_id}[{self.item_index}]"


@dataclass(frozen=True, slots=True)
class DeadLetterDetailRow(DeadLetterRow):
    """A dead letter with the dead job's payload (None when not kept) and its DLT record's headers
    (GET, LOCK)."""

    payload: str | None
    headers: dict[str, str] | None


GET = f"SELECT {COLUMNS}, payload, headers FROM dead_letters WHERE job_id = %s"


@dataclass(frozen=True, slots=True)
class DeadJobRow:
    """A dead letter's id, the dead job's (BY_RUN, NEWER)."""

    job_id: UUID


BY_RUN = "SELECT job_id FROM dead_letters WHERE run_id = %s ORDER BY dead_at, job_id"

# Replay: the run is locked first (lock order run -> steps -> items -> jobs), then the row.
RUN_OF = "SELECT run_id FROM dead_letters WHERE job_id = %s"


@dataclass(frozen=True, slots=True)
class DeadRunRow:
    """The run of a dead letter (RUN_OF)."""

    run_id: UUID


LOCK = f"SELECT {COLUMNS}, payload, headers FROM dead_letters WHERE job_id = %s FOR UPDATE"

# The same step (or map item) died again later (a replay runs after its death committed, so a
# later death has a later dead_at): replaying this older record would use a stale attempt.
NEWER = """
SELECT job_id FROM dead_letters
WHERE run_id = %s AND step_id = %s AND item_index IS NOT DISTINCT FROM %s AND job_id <> %s
  AND dead_at > %s
ORDER BY dead_at DESC LIMIT 1
"""

MARK_REPLAYED = """
UPDATE dead_letters SET replayed_at = now(), replay_job_id = %s WHERE job_id = %s AND replayed_at IS NULL
"""

# Retry-from-failure re-runs every step and item the failure stopped: the run's other dead letters
# whose step (or item) got a new generation's attempt in this transaction are replayed by it too.
MARK_RESUMED = """
UPDATE dead_letters AS d SET replayed_at = now(), replay_job_id = j.job_id
FROM jobs AS j
WHERE d.run_id = %s AND d.job_id <> %s AND d.replayed_at IS NULL
  AND j.run_id = d.run_id AND j.step_id = d.step_id AND j.item_index IS NOT DISTINCT FROM d.item_index
  AND j.generation > d.generation AND j.created_at = now()
RETURNING d.job_id
"""

# --- re-opening the run (dlt.replay.reopen) ---

LOCK_RUN = "SELECT status, workflow_id, version FROM runs WHERE run_id = %s FOR UPDATE"


@dataclass(frozen=True, slots=True)
class ReplayedRunRow:
    """The run LOCK_RUN locked for a replay."""

    status: str
    workflow_id: str
    version: int


INSERT_EVENT = """
INSERT INTO run_events (run_id, type, step_id, attempt, data) VALUES (%s, %s, %s, %s, %s::jsonb)
"""

# `legato dlt import`: rows for dead jobs only the Kafka topic holds (dead-lettered before the
# table existed). Only runs that still exist; a replay recorded in dlt_replays stays replayed.
IMPORT = """
INSERT INTO dead_letters (job_id, run_id, step_id, item_index, workflow_id, version, action, attempt,
                          generation, reason, error_type, error_message, payload, headers, correlation_id,
                          dead_at, replayed_at, replay_job_id)
SELECT v.job_id, v.run_id, v.step_id, j.item_index, v.workflow_id, v.version, v.action, v.attempt,
       COALESCE(j.generation, 1), v.reason, v.error_type, v.error_message, v.payload, v.headers::jsonb,
       v.correlation_id, v.dead_at, d.replayed_at, d.new_job_id
FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::int[], %s::text[], %s::int[],
            %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])
     AS v(job_id, run_id, step_id, workflow_id, version, action, attempt,
          reason, error_type, error_message, payload, headers, correlation_id, dead_at)
JOIN runs AS r ON r.run_id = v.run_id
LEFT JOIN jobs AS j ON j.job_id = v.job_id
LEFT JOIN dlt_replays AS d ON d.job_id = v.job_id
ON CONFLICT (job_id) DO NOTHING
"""

RUN_REF = "SELECT workflow_id, version, correlation_id FROM runs WHERE run_id = %s"


@dataclass(frozen=True, slots=True)
class RunRefRow:
    """What RUN_REF reads of the run a replay re-opens."""

    workflow_id: str
    version: int
    correlation_id: str | None


DEFINITION = "SELECT definition FROM workflow_definitions WHERE workflow_id = %s AND version = %s"


@dataclass(frozen=True, slots=True)
class DefinitionBodyRow:
    """A stored version's body (DEFINITION)."""

    definition: dict[str, Any]


# The attempt a replay queued (none when the item waits for a free slot of its map).
NEW_ATTEMPT = """
SELECT job_id FROM jobs
WHERE run_id = %s AND step_id = %s AND item_index IS NOT DISTINCT FROM %s AND state = 'PENDING'
ORDER BY created_at DESC LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class NewAttemptRow:
    """The attempt NEW_ATTEMPT found queued by a replay."""

    job_id: UUID
