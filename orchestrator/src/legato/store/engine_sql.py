"""The engine's statements: set-based, one round trip per kind of change per batch."""

# Claim the outcome of attempts: only the first outcome of a live attempt of a RUNNING run wins.
CLAIM_RESULTS = """
UPDATE jobs AS j SET state = v.state, finished_at = now()
FROM unnest(%s::uuid[], %s::text[]) AS v(job_id, state), runs AS r
WHERE j.job_id = v.job_id AND j.state IN ('PENDING', 'DISPATCHED')
  AND r.run_id = j.run_id AND r.status = 'RUNNING'
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.payload,
          r.workflow_id, r.version, r.correlation_id, j.kafka_partition, j.kafka_offset, j.item_index
"""

# Results that lost (duplicates, late results of timed-out attempts) are recorded, not applied.
RECORD_IGNORED = """
INSERT INTO run_events (run_id, type, step_id, attempt, data)
SELECT j.run_id, 'RESULT_IGNORED', j.step_id, j.attempt,
       jsonb_build_object('jobId', j.job_id, 'attemptState', j.state, 'resultStatus', v.status)
FROM unnest(%s::uuid[], %s::text[]) AS v(job_id, status) JOIN jobs AS j ON j.job_id = v.job_id
"""

CLAIM_TIMEOUTS = """
UPDATE jobs AS j SET state = 'TIMED_OUT', finished_at = now()
FROM runs AS r
WHERE j.job_id IN (
    SELECT job_id FROM jobs WHERE state = 'DISPATCHED' AND deadline_at < now()
    ORDER BY deadline_at LIMIT %s FOR UPDATE SKIP LOCKED)
  AND r.run_id = j.run_id
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.payload,
          r.workflow_id, r.version, r.correlation_id, j.kafka_partition, j.kafka_offset,
          j.timeout_ms, r.status, j.item_index
"""

# Take the jobs whose time has come (scheduled retries, and immediate jobs whose publisher did not
# confirm them in time); the lease keeps other orchestrators from publishing them at once too.
LEASE_DUE_JOBS = """
UPDATE jobs AS j SET not_before = now() + interval '10 seconds'
FROM runs AS r
WHERE j.job_id IN (
    SELECT job_id FROM jobs WHERE state = 'PENDING' AND not_before <= now()
    ORDER BY not_before LIMIT %s FOR UPDATE SKIP LOCKED)
  AND r.run_id = j.run_id
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.topic, j.payload, j.timeout_ms,
          r.workflow_id, r.version, r.correlation_id, r.status
"""

CANCEL_JOBS = (
    "UPDATE jobs SET state = 'CANCELLED', finished_at = now() WHERE job_id = ANY(%s) AND state = 'PENDING'"
)

MARK_DISPATCHED = """
UPDATE jobs AS j SET state = 'DISPATCHED', dispatched_at = now(),
       deadline_at = now() + j.timeout_ms * interval '1 millisecond',
       kafka_partition = v.p, kafka_offset = v.o
FROM unnest(%s::uuid[], %s::int[], %s::bigint[]) AS v(job_id, p, o)
WHERE j.job_id = v.job_id AND j.state = 'PENDING'
"""

UPDATE_STEPS = """
UPDATE steps AS s SET status = v.status,
       attempts = GREATEST(s.attempts, v.attempts),
       input = COALESCE(v.input::jsonb, s.input),
       output = v.output::jsonb,
       error = v.error::jsonb,
       started_at = CASE WHEN v.started THEN COALESCE(s.started_at, now()) ELSE s.started_at END,
       ended_at = CASE WHEN v.ended THEN now() END,
       wake_at = v.wake_at,
       items_total = COALESCE(v.items, s.items_total),
       items_open = COALESCE(v.items, s.items_open)
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],
            %s::bool[], %s::bool[], %s::timestamptz[], %s::int[])
     AS v(run_id, step_id, status, attempts, input, output, error, started, ended, wake_at, items)
WHERE s.run_id = v.run_id AND s.step_id = v.step_id
"""

UPDATE_ITEMS = """
UPDATE step_items AS i SET status = v.status, attempts = GREATEST(i.attempts, v.attempts),
       output = v.output::jsonb, error = v.error::jsonb
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::int[], %s::text[], %s::text[])
     AS v(run_id, step_id, item_index, status, attempts, output, error)
WHERE i.run_id = v.run_id AND i.step_id = v.step_id AND i.item_index = v.item_index
"""

INSERT_ITEMS = """
INSERT INTO step_items (run_id, step_id, item_index, status, attempts, input)
SELECT run_id, step_id, item_index, status, attempts, input::jsonb
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::int[], %s::text[])
     AS v(run_id, step_id, item_index, status, attempts, input)
"""

# A run that failed stops: its open steps are closed and its queued jobs never dispatched.
CLOSE_RUN_STEPS = """
UPDATE steps SET status = 'CANCELLED', ended_at = now(), wake_at = NULL
WHERE run_id = ANY(%s) AND status IN ('RUNNING', 'RETRYING', 'WAITING')
"""

CANCEL_RUN_JOBS = """
UPDATE jobs SET state = 'CANCELLED', finished_at = now() WHERE run_id = ANY(%s) AND state = 'PENDING'
"""

UPDATE_RUNS = """
UPDATE runs AS r SET status = v.status, output = v.output::jsonb, error = v.error::jsonb,
       updated_at = now(), ended_at = now()
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[]) AS v(run_id, status, output, error)
WHERE r.run_id = v.run_id AND r.status = 'RUNNING'
"""

INSERT_JOBS = """
INSERT INTO jobs (job_id, run_id, step_id, attempt, action, topic, payload, state, timeout_ms, not_before,
                  item_index)
SELECT job_id, run_id, step_id, attempt, action, topic, payload, 'PENDING', timeout_ms,
       to_timestamp(not_before_ms / 1000.0), item_index
FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],
            %s::int[], %s::bigint[], %s::int[])
     AS v(job_id, run_id, step_id, attempt, action, topic, payload, timeout_ms, not_before_ms, item_index)
"""

# Event ids follow the plan's order (WITH ORDINALITY ... ORDER BY), so history reads in order.
INSERT_EVENTS = """
INSERT INTO run_events (run_id, type, step_id, attempt, data)
SELECT run_id, type, step_id, attempt, data::jsonb
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::text[])
     WITH ORDINALITY AS v(run_id, type, step_id, attempt, data, ord)
ORDER BY ord
"""

FIRST_FAILURE_AT = """
SELECT min(finished_at) FROM jobs
WHERE run_id = %s AND step_id = %s AND state IN ('FAILED', 'TIMED_OUT')
"""

# Jobs written outside the engine (triggers, replays, retries of runs) wake the engine's relay.
JOBS_CHANNEL = "legato_jobs"
LISTEN_JOBS = f"LISTEN {JOBS_CHANNEL}"
NOTIFY_JOBS = f"NOTIFY {JOBS_CHANNEL}"
