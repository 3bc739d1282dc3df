"""Statements behind the run API: create, read, list."""

LATEST_DEFINITIONS = """
SELECT DISTINCT ON (workflow_id) workflow_id, version, definition, created_at
FROM workflow_definitions WHERE workflow_id = ANY(%s) ORDER BY workflow_id, version DESC
"""

# A run id that exists already is skipped, and the caller sees fewer rows come back.
INSERT_RUNS = """
INSERT INTO runs (run_id, workflow_id, version, status, input, idempotency_key, correlation_id,
                  open_sinks, trace_context)
SELECT run_id, workflow_id, version, 'RUNNING', input::jsonb, idempotency_key, correlation_id,
       open_sinks, trace_context
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::int[], %s::text[])
     AS v(run_id, workflow_id, version, input, idempotency_key, correlation_id, open_sinks, trace_context)
ON CONFLICT (run_id) DO NOTHING
RETURNING run_id
"""

INSERT_STEPS = """
INSERT INTO steps (run_id, step_id, action, status, pending_deps, position)
SELECT run_id, step_id, action, 'PENDING', pending_deps, position
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::int[])
     AS v(run_id, step_id, action, pending_deps, position)
"""

GET_RUN = """
SELECT run_id, workflow_id, version, status, input, output, error, correlation_id,
       created_at, updated_at, ended_at
FROM runs WHERE run_id = %s
"""

# With each task step's live attempt (queued or running): what its worker last reported.
GET_STEPS = """
SELECT s.step_id, s.action, s.status, s.attempts, s.input, s.output, s.error, s.started_at, s.ended_at,
       s.wake_at, s.items_total, s.items_open,
       live.job_id, live.started_at, live.heartbeat_at, live.details, live.worker_id, live.deadline_at,
       live.deadline_kind
FROM steps AS s
LEFT JOIN LATERAL (
    SELECT j.job_id, j.started_at, j.heartbeat_at, j.details, j.worker_id, j.deadline_at, j.deadline_kind
    FROM jobs AS j
    WHERE j.run_id = s.run_id AND j.step_id = s.step_id AND j.item_index IS NULL
      AND j.state IN ('PENDING', 'DISPATCHED')
    ORDER BY j.created_at DESC LIMIT 1) AS live ON true
WHERE s.run_id = %s ORDER BY s.position
"""

GET_EVENTS = """
SELECT id, at, type, step_id, attempt, data FROM run_events
WHERE run_id = %s AND id > %s ORDER BY id LIMIT %s
"""

RUN_EXISTS = "SELECT 1 FROM runs WHERE run_id = %s"
