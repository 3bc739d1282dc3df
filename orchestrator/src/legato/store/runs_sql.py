"""Statements behind the run API: create, read, list."""

INSERT_RUN = """
INSERT INTO runs (run_id, workflow_id, version, status, input, idempotency_key, correlation_id)
VALUES (%s, %s, %s, 'RUNNING', %s::jsonb, %s, %s)
"""

INSERT_STEPS = """
INSERT INTO steps (run_id, step_id, action, status, attempts, pending_deps, input, started_at)
SELECT %s, v.step_id, v.action, v.status, v.attempts, v.pending_deps, v.input::jsonb,
       CASE WHEN v.status = 'RUNNING' THEN now() END
FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::int[], %s::text[])
     AS v(step_id, action, status, attempts, pending_deps, input)
"""

GET_RUN = """
SELECT run_id, workflow_id, version, status, input, output, error, correlation_id,
       created_at, updated_at, ended_at
FROM runs WHERE run_id = %s
"""

GET_STEPS = """
SELECT step_id, action, status, attempts, input, output, error, started_at, ended_at
FROM steps WHERE run_id = %s
"""

GET_EVENTS = """
SELECT id, at, type, step_id, attempt, data FROM run_events
WHERE run_id = %s AND id > %s ORDER BY id LIMIT %s
"""

RUN_EXISTS = "SELECT 1 FROM runs WHERE run_id = %s"
