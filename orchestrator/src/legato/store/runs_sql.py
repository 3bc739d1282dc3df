"""Statements behind the run API: create, read, list."""

INSERT_RUN = """
INSERT INTO runs (run_id, workflow_id, version, status, input, idempotency_key, correlation_id,
                  open_sinks)
VALUES (%s, %s, %s, 'RUNNING', %s::jsonb, %s, %s, %s)
"""

INSERT_STEPS = """
INSERT INTO steps (run_id, step_id, action, status, pending_deps, position)
SELECT %s, v.step_id, v.action, 'PENDING', v.pending_deps, v.position
FROM unnest(%s::text[], %s::text[], %s::int[]) WITH ORDINALITY AS v(step_id, action, pending_deps, position)
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
