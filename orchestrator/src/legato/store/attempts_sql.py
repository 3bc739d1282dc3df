"""Long-running attempts (protocol v2): worker progress, the three deadlines, withdrawn attempts.

An attempt's `deadline_at` is the earliest deadline that applies to it now, `deadline_kind` says
which: `ScheduleToStart` while it is queued (from its dispatch; none without scheduleToStartSeconds),
then, once a worker reports it started, the earlier of `StartToClose` (start + timeout_ms) and
`Heartbeat` (last progress + heartbeat_ms). Every time is the database's clock.
"""

# A worker never starts an attempt at or after its start-by time (the job's deadlineAt). It reports a
# start at most 1 s after the start (STARTED), or answers sooner; the grace lets that report arrive
# before the attempt counts as never started, so an attempt that did start is not queued twice.
START_GRACE_MS = 3000


# When an attempt started, by the worker's own measure of how long ago (`elapsed`, in ms), on the
# database's clock: never before the job existed, whatever a worker's clock says.
def reported_start(elapsed: str) -> str:
    return f"GREATEST(j.created_at, now() - {elapsed} * interval '1 millisecond')"


_STARTED = f"COALESCE(j.started_at, {reported_start('v.elapsed_ms')})"

# Progress (STARTED / HEARTBEAT) of live attempts: started (see reported_start), alive now, the
# latest details kept for a retry to resume from.
APPLY_PROGRESS = f"""
UPDATE jobs AS j SET
    started_at = {_STARTED},
    heartbeat_at = now(),
    details = COALESCE(v.details, j.details),
    worker_id = v.worker_id,
    deadline_at = LEAST(
        {_STARTED} + j.timeout_ms * interval '1 millisecond',
        now() + j.heartbeat_ms * interval '1 millisecond'),
    deadline_kind = CASE
        WHEN now() + j.heartbeat_ms * interval '1 millisecond'
             < {_STARTED} + j.timeout_ms * interval '1 millisecond'
        THEN 'Heartbeat' ELSE 'StartToClose' END
FROM unnest(%s::uuid[], %s::text[], %s::bigint[], %s::text[]) AS v(job_id, details, elapsed_ms, worker_id)
WHERE j.job_id = v.job_id AND j.state IN ('PENDING', 'DISPATCHED')
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.item_index
"""

# A worker skipped a live attempt because its start-by time had passed: it was never started, so it
# expires now (the scheduler's next tick re-queues it) instead of at the end of the grace.
EXPIRE_SKIPPED = """
UPDATE jobs SET deadline_at = now(), deadline_kind = 'ScheduleToStart'
WHERE job_id = ANY(%s) AND state = 'DISPATCHED' AND started_at IS NULL
"""

WITHDRAWAL_COLUMNS = "job_id, run_id, step_id, attempt, action, reason, message"

# Progress from an attempt the orchestrator no longer wants (a worker missed or raced its Cancel, or
# a crashed worker's job was delivered again): withdraw it again, so the handler is told.
WITHDRAW_UNWANTED = f"""
INSERT INTO job_withdrawals ({WITHDRAWAL_COLUMNS})
SELECT j.job_id, j.run_id, j.step_id, j.attempt, j.action,
       CASE WHEN j.state = 'TIMED_OUT' THEN COALESCE(j.deadline_kind, 'StartToClose') || 'Timeout'
            WHEN r.status = 'CANCELLED' THEN 'RunCancelled'
            WHEN r.status <> 'RUNNING' THEN 'RunEnded'
            ELSE 'Superseded' END,
       'a worker reported progress on an attempt that is no longer wanted (' || lower(j.state) || ')'
FROM jobs AS j JOIN runs AS r ON r.run_id = j.run_id
WHERE j.job_id = ANY(%s) AND j.state NOT IN ('PENDING', 'DISPATCHED')
ON CONFLICT (job_id) DO NOTHING
"""

# Attempts whose deadline passed, withdrawn with the reason (the scheduler claimed them TIMED_OUT).
WITHDRAW_JOBS = f"""
INSERT INTO job_withdrawals ({WITHDRAWAL_COLUMNS})
SELECT j.job_id, j.run_id, j.step_id, j.attempt, j.action, v.reason, v.message
FROM unnest(%s::uuid[], %s::text[], %s::text[]) AS v(job_id, reason, message)
JOIN jobs AS j ON j.job_id = v.job_id
ON CONFLICT (job_id) DO NOTHING
"""

# Close every attempt of these runs not yet ended, and withdraw it: a queued copy is skipped by
# whichever worker reads it, a running one's handler is told (its late result is ignored anyway).
WITHDRAW_RUN_JOBS = f"""
WITH gone AS (
    UPDATE jobs SET state = 'CANCELLED', finished_at = now()
    WHERE run_id = ANY(%s) AND state IN ('PENDING', 'DISPATCHED')
    RETURNING job_id, run_id, step_id, attempt, action)
INSERT INTO job_withdrawals ({WITHDRAWAL_COLUMNS})
SELECT job_id, run_id, step_id, attempt, action, %s, %s FROM gone
ON CONFLICT (job_id) DO NOTHING
"""

# The outbox of Cancel records: read, published, deleted once acknowledged (a crash in between
# publishes some twice, which workers ignore).
TAKE_WITHDRAWALS = f"""
SELECT {WITHDRAWAL_COLUMNS}, (extract(epoch FROM created_at) * 1000)::bigint
FROM job_withdrawals ORDER BY created_at LIMIT %s
"""

DELETE_WITHDRAWALS = "DELETE FROM job_withdrawals WHERE job_id = ANY(%s)"
