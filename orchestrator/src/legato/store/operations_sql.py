"""Statements behind run operations: cancel a run, retry a failed run from where it failed."""

LOCK_RUN = "SELECT status, workflow_id, version, correlation_id FROM runs WHERE run_id = %s FOR UPDATE"

CANCEL_RUN = """
UPDATE runs SET status = 'CANCELLED', updated_at = now(), ended_at = now() WHERE run_id = %s
"""

# Pending steps never start, running ones are abandoned (their results will be ignored), waits dropped.
CANCEL_STEPS = """
UPDATE steps SET status = 'CANCELLED', ended_at = now(), wake_at = NULL
WHERE run_id = %s AND status IN ('PENDING', 'RUNNING', 'RETRYING', 'WAITING')
"""

CANCEL_JOBS = """
UPDATE jobs SET state = 'CANCELLED', finished_at = now() WHERE run_id = %s AND state = 'PENDING'
"""

STEP_STATES = "SELECT step_id, status FROM steps WHERE run_id = %s"

MAPPED_STEPS = "SELECT DISTINCT step_id FROM step_items WHERE run_id = %s"

REOPEN_RUN = """
UPDATE runs SET status = 'RUNNING', output = NULL, error = NULL, ended_at = NULL, updated_at = now(),
       open_sinks = %s
WHERE run_id = %s
"""

RESET_STEPS = """
UPDATE steps AS s SET status = 'PENDING', attempts = 0, output = NULL, error = NULL, started_at = NULL,
       ended_at = NULL, wake_at = NULL, items_total = NULL, items_open = NULL, pending_deps = v.n
FROM unnest(%s::text[], %s::int[]) AS v(step_id, n)
WHERE s.run_id = %s AND s.step_id = v.step_id
"""

# A map whose dependencies are unchanged keeps its completed items and re-runs the others.
RESET_ITEMS = """
UPDATE step_items SET status = 'PENDING', attempts = 0, error = NULL
WHERE run_id = %s AND step_id = ANY(%s) AND status <> 'COMPLETED'
"""

RESUME_MAPS = """
UPDATE steps AS s SET status = 'RUNNING', attempts = 1, started_at = now(),
       items_total = (SELECT count(*) FROM step_items AS i
                      WHERE i.run_id = s.run_id AND i.step_id = s.step_id),
       items_open = (SELECT count(*) FROM step_items AS i
                     WHERE i.run_id = s.run_id AND i.step_id = s.step_id AND i.status <> 'COMPLETED')
WHERE s.run_id = %s AND s.step_id = ANY(%s)
RETURNING s.step_id, s.items_open
"""

# A map that will run again after its dependencies re-run evaluates its forEach afresh.
DELETE_ITEMS = "DELETE FROM step_items WHERE run_id = %s AND step_id = ANY(%s)"

INSERT_EVENT = """
INSERT INTO run_events (run_id, type, step_id, attempt, data) VALUES (%s, %s, NULL, NULL, %s::jsonb)
"""
