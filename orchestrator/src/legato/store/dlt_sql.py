"""Statements behind `legato dlt replay`."""

RECORD_REPLAY = """
INSERT INTO dlt_replays (job_id, dlt_record, run_id, step_id, new_job_id, payload_edited)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (job_id) DO NOTHING
"""

REPLAYED = "SELECT dlt_record, new_job_id, replayed_at FROM dlt_replays WHERE job_id = %s"

REPLAYED_MANY = "SELECT job_id FROM dlt_replays WHERE job_id = ANY(%s)"

LOCK_RUN = "SELECT status, workflow_id, version FROM runs WHERE run_id = %s FOR UPDATE"

STEP_STATE = "SELECT status, action FROM steps WHERE run_id = %s AND step_id = %s"

JOB_ITEM = "SELECT item_index FROM jobs WHERE job_id = %s"

# A dead map item: the item runs again and its map step is running again.
RESTART_ITEM = """
UPDATE step_items SET status = 'RUNNING', attempts = 1, error = NULL
WHERE run_id = %s AND step_id = %s AND item_index = %s
"""

RESUME_STEP = """
UPDATE steps SET status = 'RUNNING', error = NULL, ended_at = NULL WHERE run_id = %s AND step_id = %s
"""

LATEST_JOB = """
SELECT job_id, topic, payload, timeout_ms FROM jobs
WHERE run_id = %s AND step_id = %s ORDER BY created_at DESC, attempt DESC LIMIT 1
"""

REOPEN_RUN = """
UPDATE runs SET status = 'RUNNING', error = NULL, ended_at = NULL, updated_at = now()
WHERE run_id = %s
"""

RESTART_STEP = """
UPDATE steps SET status = 'RUNNING', attempts = 1, error = NULL, output = NULL, ended_at = NULL,
       input = %s::jsonb
WHERE run_id = %s AND step_id = %s
"""

# Published by the scheduler of whichever orchestrator runs next (not_before = now).
INSERT_JOB = """
INSERT INTO jobs (job_id, run_id, step_id, attempt, action, topic, payload, state, timeout_ms, item_index)
VALUES (%s, %s, %s, 1, %s, %s, %s, 'PENDING', %s, %s)
"""

INSERT_EVENT = """
INSERT INTO run_events (run_id, type, step_id, attempt, data) VALUES (%s, %s, %s, %s, %s::jsonb)
"""
