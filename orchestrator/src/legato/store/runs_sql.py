"""Statements behind the run API: create, read, list.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

# Rows: definitions_sql.DefinitionRow.
LATEST_DEFINITIONS = """
SELECT DISTINCT ON (workflow_id) workflow_id, version, definition, created_at
FROM workflow_definitions WHERE workflow_id = ANY(%s) ORDER BY workflow_id, version DESC
"""

# A run id that exists already is skipped, and the caller sees fewer rows come back (only counted).
# A run starts RUNNING, PENDING (behind its concurrency key) or CANCELLED (cancelNewest).
INSERT_RUNS = """
INSERT INTO runs (run_id, workflow_id, version, status, input, idempotency_key, correlation_id,
                  open_sinks, trace_context, schedule_id, scheduled_at, trigger_id, ordering_key,
                  error, ended_at, priority, concurrency_key)
SELECT run_id, workflow_id, version, status, input::jsonb, idempotency_key, correlation_id,
       open_sinks, trace_context, schedule_id, scheduled_at, trigger_id, ordering_key,
       error::jsonb, CASE WHEN status = 'CANCELLED' THEN now() END, priority, concurrency_key
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::int[], %s::text[],
            %s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[], %s::smallint[],
            %s::text[])
     AS v(run_id, workflow_id, version, input, idempotency_key, correlation_id, open_sinks, trace_context,
          schedule_id, scheduled_at, trigger_id, ordering_key, status, error, priority, concurrency_key)
"""

# A run id that exists already fails INSERT_RUNS on this constraint (runs.trigger.run_exists): the
# statement answers nothing, so it rides in the pipeline with the rest of the trigger's transaction.
RUNS_KEY = "runs_pkey"

INSERT_STEPS = """
INSERT INTO steps (run_id, step_id, action, status, pending_deps, position, signal_name)
SELECT run_id, step_id, action, 'PENDING', pending_deps, position, signal_name
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::int[], %s::text[])
     AS v(run_id, step_id, action, pending_deps, position, signal_name)
"""

GET_RUN = """
SELECT run_id, workflow_id, version, status, input, output, error, correlation_id,
       created_at, updated_at, ended_at, parent_run_id, parent_step_id, schedule_id, scheduled_at,
       trigger_id, priority, concurrency_key
FROM runs WHERE run_id = %s
"""


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run as GET_RUN reads it."""

    run_id: UUID
    workflow_id: str
    version: int
    status: str
    input: Any
    output: Any
    error: Any
    correlation_id: str | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    parent_run_id: UUID | None
    parent_step_id: str | None
    schedule_id: str | None
    scheduled_at: datetime | None
    trigger_id: str | None
    priority: int
    concurrency_key: str | None


# With each task step's live attempt (queued or running): what its worker last reported.
GET_STEPS = """
SELECT s.step_id, s.action, s.status, s.attempts, s.input, s.output, s.error, s.started_at, s.ended_at,
       s.wake_at, s.items_total, s.items_open, s.child_run_id,
       live.job_id AS live_job_id, live.started_at AS live_started_at, live.heartbeat_at, live.details,
       live.worker_id, live.deadline_at, live.deadline_kind, live.throttled AS live_throttled,
       (s.status = 'RUNNING' AND EXISTS (
           SELECT 1 FROM jobs AS t WHERE t.run_id = s.run_id AND t.step_id = s.step_id
             AND t.throttled AND t.state = 'PENDING')) AS throttled
FROM steps AS s
LEFT JOIN LATERAL (
    SELECT j.job_id, j.started_at, j.heartbeat_at, j.details, j.worker_id, j.deadline_at, j.deadline_kind,
           j.throttled
    FROM jobs AS j
    WHERE j.run_id = s.run_id AND j.step_id = s.step_id AND j.item_index IS NULL
      AND j.state IN ('PENDING', 'DISPATCHED')
    ORDER BY j.created_at DESC LIMIT 1) AS live ON true
WHERE s.run_id = %s ORDER BY s.position
"""


@dataclass(frozen=True, slots=True)
class StepRow:
    """A step GET_STEPS reads, with its live attempt (`live_*` and the rest: None without one)."""

    step_id: str
    action: str | None
    status: str
    attempts: int
    input: Any
    output: Any
    error: Any
    started_at: datetime | None
    ended_at: datetime | None
    wake_at: datetime | None
    items_total: int | None
    items_open: int | None
    child_run_id: UUID | None
    live_job_id: UUID | None
    live_started_at: datetime | None
    heartbeat_at: datetime | None
    details: str | None
    worker_id: str | None
    deadline_at: datetime | None
    deadline_kind: str | None
    live_throttled: bool | None
    throttled: bool  # an attempt of the step (or of an item) waits for a slot of its action


GET_EVENTS = """
SELECT id, at, type, step_id, attempt, data FROM run_events
WHERE run_id = %s AND id > %s ORDER BY id LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event of a run's history (GET_EVENTS)."""

    id: int
    at: datetime
    type: str
    step_id: str | None
    attempt: int | None
    data: Any


# Read for whether it answers a row, never for a column.
RUN_EXISTS = "SELECT 1 FROM runs WHERE run_id = %s"
