"""Statements behind the run API: create, read, list."""

LATEST_DEFINITIONS = """
SELECT DISTINCT ON (workflow_id) workflow_id, version, definition, created_at
FROM workflow_definitions WHERE workflow_id = ANY(%s) ORDER BY workflow_id, version DESC
"""

# A run id that exists already is skipped, and the caller sees fewer rows come back.
INSERT_RUNS = """
INSERT INTO runs (run_id, workflow_id, version, status, input, idempotency_key, correlation_id,
                  open_sinks)
SELECT run_id, workflow_id, version, 'RUNNING', input::jsonb, idempotency_key, correlation_id,
       open_sinks
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::int[])
     AS v(run_id, workflow_id, version, input, idempotency_key, correlation_id, open_sinks)
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

GET_STEPS = """
SELECT step_id, action, status, attempts, input, output, error, started_at, ended_at,
       wake_at, items_total, items_open
FROM steps WHERE run_id = %s ORDER BY position
"""

GET_EVENTS = """
SELECT id, at, type, step_id, attempt, data FROM run_events
WHERE run_id = %s AND id > %s ORDER BY id LIMIT %s
"""

RUN_EXISTS = "SELECT 1 FROM runs WHERE run_id = %s"
