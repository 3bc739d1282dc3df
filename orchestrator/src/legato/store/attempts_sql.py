"""Long-running attempts (protocol v2): worker progress, the three deadlines, withdrawn attempts.

An attempt's `deadline_at` is the earliest deadline that applies to it now, `deadline_kind` says
which: `ScheduleToStart` while it is queued (from its dispatch; none without scheduleToStartSeconds),
then, once a worker reports it started, the earlier of `StartToClose` (start + timeout_ms) and
`Heartbeat` (last progress + heartbeat_ms). Every time is the database's clock.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from uuid import UUID

from legato.store.live import live_job, live_run

# A worker never starts an attempt at or after its start-by time (the job's deadlineAt). It reports a
# start at most 1 s after the start (STARTED), or answers sooner; the grace lets that report arrive
# before the attempt counts as never started, so an attempt that did start is not queued twice.
START_GRACE_MS = 3000

# The start-by time a job record carries (deadlineAt), set by the database's clock when the job is
# written or leased for publication; NULL without scheduleToStartSeconds.
START_BY = "start_by = now() + j.schedule_to_start_ms * interval '1 millisecond'"
START_BY_MS = "(extract(epoch FROM j.start_by) * 1000)::bigint"

# The deadline kind of a queued attempt without scheduleToStartSeconds: the backstop. When it passes
# the engine asks Kafka whether the job was consumed (engine.unreported); one consumed and never
# reported on is queued again, one still waiting in its topic gets another period.
UNREPORTED = "Unreported"


# When an attempt started, by the worker's own measure of how long ago (`elapsed`, in ms), on the
# database's clock: never before the job existed, whatever a worker's clock says.
def reported_start(elapsed: str) -> str:
    return f"GREATEST(j.created_at, now() - {elapsed} * interval '1 millisecond')"


_STARTED = f"COALESCE(j.started_at, {reported_start('v.elapsed_ms')})"

# When an attempt was last alive: the time its record was written (the Kafka record's timestamp), so
# a backlog applied late does not make heartbeats look fresh, but never in the future and never
# more than half a heartbeat timeout before it is applied (a producer's clock is a worker's clock:
# a skewed one costs at most half the timeout's margin, never a spurious timeout).
_BEAT = """GREATEST(j.heartbeat_at, LEAST(now(), GREATEST(
    COALESCE(to_timestamp(v.sent_ms / 1000.0), now()),
    now() - j.heartbeat_ms / 2 * interval '1 millisecond')))"""

# Progress (STARTED / HEARTBEAT) of live attempts: started (see reported_start), alive at _BEAT, the
# latest details kept for a retry to resume from. An attempt a worker reports on was delivered: a
# PENDING one (its acknowledgement lost in a crash) becomes DISPATCHED, so it is not published again.
APPLY_PROGRESS = f"""
UPDATE jobs AS j SET
    state = 'DISPATCHED',
    dispatched_at = COALESCE(j.dispatched_at, now()),
    started_at = {_STARTED},
    heartbeat_at = {_BEAT},
    details = COALESCE(v.details, j.details),
    worker_id = v.worker_id,
    deadline_at = LEAST(
        {_STARTED} + j.timeout_ms * interval '1 millisecond',
        {_BEAT} + j.heartbeat_ms * interval '1 millisecond'),
    deadline_kind = CASE
        WHEN {_BEAT} + j.heartbeat_ms * interval '1 millisecond'
             < {_STARTED} + j.timeout_ms * interval '1 millisecond'
        THEN 'Heartbeat' ELSE 'StartToClose' END
FROM unnest(%s::uuid[], %s::text[], %s::bigint[], %s::text[], %s::bigint[])
     AS v(job_id, details, elapsed_ms, worker_id, sent_ms)
WHERE j.job_id = v.job_id AND {live_job('j')}
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.item_index
"""


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """A live attempt APPLY_PROGRESS recorded progress of."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    item_index: int | None


# A worker skipped a live attempt because its start-by time had passed: it was never started, so it
# expires now (the scheduler's next tick re-queues it) instead of at the end of the grace. Unless the
# start-by time has NOT passed by the database's clock: the worker's clock is ahead (answered with
# how far at least, in ms); that attempt keeps its deadline. Like any report, a skip says the job
# was delivered (its acknowledgement may not be recorded yet).
EXPIRE_SKIPPED = f"""
UPDATE jobs SET state = 'DISPATCHED', dispatched_at = COALESCE(dispatched_at, now()),
    deadline_at = CASE WHEN start_by > now()
                       THEN COALESCE(deadline_at, start_by + {START_GRACE_MS} * interval '1 millisecond')
                       ELSE now() END,
    deadline_kind = 'ScheduleToStart'
WHERE job_id = ANY(%s) AND state IN ('PENDING', 'DISPATCHED') AND started_at IS NULL
RETURNING job_id, CASE WHEN start_by > now()
                       THEN (extract(epoch FROM start_by - now()) * 1000)::bigint END AS ahead_ms
"""


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A skipped attempt EXPIRE_SKIPPED expired, or kept (its worker's clock is ahead by `ahead_ms`)."""

    job_id: UUID
    ahead_ms: int | None


# A start reported for an attempt that expired in its queue (a worker whose clock is behind started it
# after its start-by time) wins while the copy queued in its place has not started: that copy is
# closed and withdrawn, the first one lives again (APPLY_PROGRESS then records its start).
REVIVE_LATE_STARTS = f"""
WITH late AS (
    SELECT j.job_id, j.run_id, j.step_id, j.item_index, j.attempt, j.generation
    FROM jobs AS j JOIN runs AS r ON r.run_id = j.run_id AND {live_run('r')}
    WHERE j.job_id = ANY(%s) AND j.state = 'TIMED_OUT' AND j.deadline_kind = 'ScheduleToStart'
      AND j.started_at IS NULL
), replaced AS (
    UPDATE jobs AS n SET state = 'CANCELLED', finished_at = now()
    FROM late AS l
    WHERE n.run_id = l.run_id AND n.step_id = l.step_id AND n.item_index IS NOT DISTINCT FROM l.item_index
      AND n.attempt = l.attempt AND n.generation = l.generation AND n.job_id <> l.job_id
      AND n.state IN ('PENDING', 'DISPATCHED') AND n.started_at IS NULL
    RETURNING n.job_id, n.run_id, n.step_id, n.attempt, n.action, l.job_id AS revived
), withdrawn AS (
    INSERT INTO job_withdrawals (job_id, run_id, step_id, attempt, action, reason, message)
    SELECT job_id, run_id, step_id, attempt, action, 'Superseded',
           'an earlier copy of this attempt, queued before it, started first'
    FROM replaced
    ON CONFLICT (job_id) DO NOTHING
)
UPDATE jobs AS j SET state = 'DISPATCHED', finished_at = NULL
WHERE j.job_id IN (SELECT revived FROM replaced)
RETURNING j.job_id
"""


@dataclass(frozen=True, slots=True)
class RevivedRow:
    """An attempt REVIVE_LATE_STARTS made live again."""

    job_id: UUID


WITHDRAWAL_COLUMNS = "job_id, run_id, step_id, attempt, action, reason, message"

# Progress from an attempt the orchestrator no longer wants (a worker missed or raced its Cancel, or
# a crashed worker's job was delivered again): withdraw it again, so the handler is told.
WITHDRAW_UNWANTED = f"""
INSERT INTO job_withdrawals ({WITHDRAWAL_COLUMNS})
SELECT j.job_id, j.run_id, j.step_id, j.attempt, j.action,
       CASE WHEN j.state = 'TIMED_OUT' THEN COALESCE(j.deadline_kind, 'StartToClose') || 'Timeout'
            WHEN r.status = 'CANCELLED' THEN 'RunCancelled'
            WHEN r.status NOT IN ('RUNNING', 'PAUSED') THEN 'RunEnded'
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
SELECT {WITHDRAWAL_COLUMNS}, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms
FROM job_withdrawals ORDER BY created_at LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class WithdrawalRow:
    """A Cancel record TAKE_WITHDRAWALS read from the outbox."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    reason: str
    message: str
    created_ms: int


DELETE_WITHDRAWALS = "DELETE FROM job_withdrawals WHERE job_id = ANY(%s)"
