"""The engine's statements: set-based, one round trip per kind of change per batch.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from legato.store.attempts_sql import START_BY, START_BY_MS, START_GRACE_MS, UNREPORTED, reported_start
from legato.store.live import live_job, live_run, undispatched_job

# Set once on each of the engine's result connections (engine.process), which write the result
# batches. Their statements are prepared (psycopg, from a statement's fifth use on a connection) and
# look their rows up by the batch's keys whatever it holds (store.live says why), so one plan serves
# every batch; PostgreSQL's default plans a statement whose parameters are arrays again at each
# execution: 0.2-0.5 ms of planning per statement, most of a one-result batch's time in PostgreSQL
# at light load. Per connection rather than SET LOCAL per transaction: one statement fewer in each
# batch. The engine's other connections (housekeeping, retention) keep the default.
GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan"
# The same for one transaction on a connection that serves other statements too (the API's: a
# trigger's transaction, the acknowledgements of its first jobs), which keep the default: a
# trigger's statements spent about 1.2 ms in planning, its acknowledgements' 0.8 ms.
GENERIC_PLANS_HERE = "SET LOCAL plan_cache_mode = force_generic_plan"

# Lock order everywhere (engine, operations, replay): run -> steps -> items -> jobs. A batch first
# locks the runs its results and acknowledgements touch, in run id order (no deadlock between
# engines), so an operator's cancel or retry and a batch never interleave on one run.
LOCK_RUNS_OF_JOBS = """
SELECT r.run_id FROM runs AS r
WHERE r.run_id IN (SELECT j.run_id FROM jobs AS j WHERE j.job_id = ANY(%s))
ORDER BY r.run_id FOR UPDATE OF r
"""

# Claim the outcome of attempts: only the first outcome of a live attempt of the current generation
# of its step (or map item) of a RUNNING run wins. An attempt that never reported a start gets the
# one its result implies (the worker's own measure of how long it ran, see reported_start).
CLAIM_RESULTS = f"""
UPDATE jobs AS j SET state = v.state, finished_at = now(),
       started_at = COALESCE(j.started_at, {reported_start('v.ran_ms')})
FROM unnest(%s::uuid[], %s::text[], %s::bigint[]) AS v(job_id, state, ran_ms), runs AS r, steps AS s
WHERE j.job_id = v.job_id AND {live_job('j')}
  AND r.run_id = j.run_id AND {live_run('r')}
  AND s.run_id = j.run_id AND s.step_id = j.step_id
  AND j.generation = COALESCE(
      (SELECT i.generation FROM step_items AS i
       WHERE i.run_id = j.run_id AND i.step_id = j.step_id AND i.item_index = j.item_index),
      s.generation)
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.payload,
          r.workflow_id, r.version, r.correlation_id, j.kafka_partition, j.kafka_offset, j.item_index,
          j.details, j.requeues, r.trace_context,
          EXTRACT(EPOCH FROM GREATEST(j.started_at - j.dispatched_at, interval '0'))::float8 AS queue_s,
          EXTRACT(EPOCH FROM GREATEST(j.finished_at - j.started_at, interval '0'))::float8 AS execution_s,
          r.status
"""


@dataclass(frozen=True, slots=True)
class ResultClaimRow:
    """An attempt CLAIM_RESULTS won for its result."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    payload: str
    workflow_id: str
    version: int
    correlation_id: str | None
    kafka_partition: int | None
    kafka_offset: int | None
    item_index: int | None
    details: str | None
    requeues: int
    trace_context: str | None
    queue_s: float | None  # queued for (s); None: its dispatch (or start) is not recorded
    execution_s: float | None  # ran for (s); None: its start is not recorded
    status: str  # its run's (RUNNING or PAUSED; locked, so it holds until the batch commits)


# Results that lost (duplicates, late results of timed-out attempts) are recorded, not applied.
RECORD_IGNORED = """
INSERT INTO run_events (run_id, type, step_id, attempt, data)
SELECT j.run_id, 'RESULT_IGNORED', j.step_id, j.attempt,
       jsonb_build_object('jobId', j.job_id, 'attemptState', j.state, 'resultStatus', v.status)
FROM unnest(%s::uuid[], %s::text[]) AS v(job_id, status) JOIN jobs AS j ON j.job_id = v.job_id
"""

# Attempts whose deadline has passed, by `held_ms` ago at least: the engine claims deadlines only
# once it has read every worker report written before a moment `held_ms` ago (engine.caught_up).
# An Unreported deadline (the backstop) is claimed only for the jobs the engine found consumed and
# never reported on (`lost`); the others get another period first (PUSH_UNREPORTED).
_DUE = f"""j.state = 'DISPATCHED' AND j.deadline_at < now() - %(held_ms)s * interval '1 millisecond'
  AND (j.deadline_kind IS DISTINCT FROM '{UNREPORTED}' OR j.job_id = ANY(%(lost)s::uuid[]))"""

# What the scheduler's tick has to do now: one cheap statement (each EXISTS on a partial index) so
# an idle tick costs one round trip instead of a transaction per kind of work. Each flag covers at
# least what its work selects (a flag may be true with nothing for that work to take: a paused
# run's due timer, a key another orchestrator is releasing), so no due work is ever skipped.
# - deadlines: an attempt past its deadline (jobs_deadline), before the engine pays for finding out
#   whether it has read every report (engine.caught_up);
# - timers: a durable wait or retry delay that is over (join_sql.LOCK_TIMER_RUNS);
# - children: a child run that ended while its parent's step waits (children_sql.LOCK_PARENTS_OF_ENDED);
# - orphans: an open child run whose parent ended (children_sql.LOCK_ORPHANS);
# - pending: a PENDING run with a concurrency key (concurrency_sql.PENDING_KEYS);
# - outbox: a job due for publication (LEASE_DUE_JOBS);
# - withdrawals: a Cancel record to publish (attempts_sql.TAKE_WITHDRAWALS).
DUE_WORK = """
SELECT
  EXISTS (SELECT 1 FROM jobs WHERE state = 'DISPATCHED' AND deadline_at < now()) AS deadlines,
  EXISTS (SELECT 1 FROM steps WHERE status = 'WAITING' AND wake_at <= now())
    OR EXISTS (SELECT 1 FROM steps WHERE status = 'RETRYING' AND wake_at <= now()) AS timers,
  EXISTS (SELECT 1 FROM steps AS s JOIN runs AS c ON c.run_id = s.child_run_id
          WHERE s.status = 'RUNNING' AND s.child_run_id IS NOT NULL
            AND c.status IN ('COMPLETED', 'FAILED', 'CANCELLED')) AS children,
  EXISTS (SELECT 1 FROM runs AS o JOIN runs AS p ON p.run_id = o.parent_run_id
          WHERE o.parent_run_id IS NOT NULL AND o.status IN ('RUNNING', 'PAUSED')
            AND p.status IN ('COMPLETED', 'FAILED', 'CANCELLED')) AS orphans,
  EXISTS (SELECT 1 FROM runs WHERE status = 'PENDING' AND concurrency_key IS NOT NULL) AS pending,
  EXISTS (SELECT 1 FROM jobs WHERE state = 'PENDING' AND NOT throttled AND not_before <= now()) AS outbox,
  EXISTS (SELECT 1 FROM job_withdrawals) AS withdrawals
"""


@dataclass(frozen=True, slots=True)
class DueWorkRow:
    deadlines: bool
    timers: bool
    children: bool
    orphans: bool
    pending: bool
    outbox: bool
    withdrawals: bool

    @classmethod
    def everything(cls) -> "DueWorkRow":
        """Every kind of work due (DUE_WORK always answers a row; this only stands in for none)."""
        return cls(True, True, True, True, True, True, True)

    @property
    def in_tick(self) -> bool:
        """Whether the tick's transaction has anything to take."""
        return self.deadlines or self.timers or self.children or self.orphans


# Runs with an attempt past its deadline, locked first (lock order); runs another engine or an
# operation holds are skipped this tick.
LOCK_TIMED_OUT_RUNS = f"""
SELECT r.run_id FROM runs AS r
WHERE r.run_id IN (
    SELECT j.run_id FROM jobs AS j WHERE {_DUE}
    ORDER BY j.deadline_at LIMIT %(limit)s)
ORDER BY r.run_id FOR UPDATE OF r SKIP LOCKED
"""


@dataclass(frozen=True, slots=True)
class LockedRunRow:
    """A run LOCK_TIMED_OUT_RUNS (or join_sql.LOCK_TIMER_RUNS) locked."""

    run_id: UUID


# `current`: the attempt belongs to the current generation of its step or item (else it is closed
# without consequence: a retry or replay has moved on).
CLAIM_TIMEOUTS = f"""
UPDATE jobs AS j SET state = 'TIMED_OUT', finished_at = now()
FROM runs AS r, steps AS s
WHERE j.run_id = ANY(%(runs)s) AND {_DUE}
  AND r.run_id = j.run_id AND s.run_id = j.run_id AND s.step_id = j.step_id
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.payload,
          r.workflow_id, r.version, r.correlation_id, j.kafka_partition, j.kafka_offset,
          j.timeout_ms, r.status, j.item_index,
          j.generation = COALESCE(
              (SELECT i.generation FROM step_items AS i
               WHERE i.run_id = j.run_id AND i.step_id = j.step_id AND i.item_index = j.item_index),
              s.generation) AS current,
          j.deadline_kind, j.details, j.requeues, j.schedule_to_start_ms, j.heartbeat_ms, r.trace_context
"""


@dataclass(frozen=True, slots=True)
class TimeoutClaimRow:
    """An attempt CLAIM_TIMEOUTS closed TIMED_OUT."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    payload: str
    workflow_id: str
    version: int
    correlation_id: str | None
    kafka_partition: int | None
    kafka_offset: int | None
    timeout_ms: int
    status: str  # its run's
    item_index: int | None
    current: bool
    deadline_kind: str | None
    details: str | None
    requeues: int
    schedule_to_start_ms: int | None
    heartbeat_ms: int | None
    trace_context: str | None


# Attempts queued without scheduleToStartSeconds whose backstop passed: where their records are, so
# the engine can ask Kafka whether their worker group consumed them.
DUE_UNREPORTED = f"""
SELECT job_id, topic, action, kafka_partition, kafka_offset FROM jobs
WHERE state = 'DISPATCHED' AND deadline_kind = '{UNREPORTED}' AND deadline_at < now()
ORDER BY deadline_at LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class UnreportedRow:
    """An attempt DUE_UNREPORTED found past its backstop, and where its record is."""

    job_id: UUID
    topic: str
    action: str
    kafka_partition: int | None
    kafka_offset: int | None


# Still waiting in their topic (a backlog): another backstop period.
PUSH_UNREPORTED = f"""
UPDATE jobs SET deadline_at = now() + %s * interval '1 millisecond'
WHERE job_id = ANY(%s) AND state = 'DISPATCHED' AND deadline_kind = '{UNREPORTED}'
"""

# Take the jobs whose time has come (scheduled retries, and immediate jobs whose publisher did not
# confirm them in time); the lease keeps other orchestrators from publishing them at once too. The
# lease (like the engine's hand-over, OWNERSHIP_GRACE_MS) outlasts the producer's delivery timeout
# (kafka.clients.DELIVERY_TIMEOUT_MS), so a job still being delivered is never published again.
# The jobs are picked once (MATERIALIZED): as a subquery the planner may rescan them for every row
# of `jobs` (a nested loop, chosen on the stale statistics of a young database), locking the same
# rows again each time; one such plan kept the engine in one statement for minutes on 3,000 jobs.
LEASE_DUE_JOBS = f"""
WITH due AS MATERIALIZED (
    SELECT q.job_id FROM jobs AS q
    WHERE q.state = 'PENDING' AND NOT q.throttled AND q.not_before <= now()
      AND NOT EXISTS (SELECT 1 FROM runs AS p WHERE p.run_id = q.run_id AND p.status = 'PAUSED')
    ORDER BY q.not_before LIMIT %s FOR UPDATE OF q SKIP LOCKED)
UPDATE jobs AS j SET not_before = now() + %s * interval '1 millisecond', {START_BY}
FROM due, runs AS r
WHERE j.job_id = due.job_id AND r.run_id = j.run_id
RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.topic, j.payload, j.timeout_ms,
          r.workflow_id, r.version, r.correlation_id, r.status,
          j.schedule_to_start_ms, j.heartbeat_ms, j.details, j.requeues, r.trace_context,
          {START_BY_MS} AS start_by_ms
"""


@dataclass(frozen=True, slots=True)
class DueJobRow:
    """A job LEASE_DUE_JOBS leased for publication."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    topic: str
    payload: str
    timeout_ms: int
    workflow_id: str
    version: int
    correlation_id: str | None
    status: str  # its run's
    schedule_to_start_ms: int | None
    heartbeat_ms: int | None
    details: str | None
    requeues: int
    trace_context: str | None
    start_by_ms: int | None


CANCEL_JOBS = (
    "UPDATE jobs SET state = 'CANCELLED', finished_at = now() WHERE job_id = ANY(%s) AND state = 'PENDING'"
)

# Queued from now: the schedule-to-start deadline runs until a worker reports a start: the start-by
# time its record carries plus a grace; without scheduleToStartSeconds, the backstop
# (attempts_sql.UNREPORTED). A worker may report on a job before its acknowledgement is recorded
# (it is then DISPATCHED already: attempts_sql.APPLY_PROGRESS, EXPIRE_SKIPPED): its deadline is
# kept and only the record's place is noted. A job whose result was applied first (the API records
# its acknowledgements apart from the engine's batches: runs.first_jobs) keeps its end state and
# gets only its dispatch time and the record's place.
MARK_DISPATCHED = f"""
UPDATE jobs AS j SET state = CASE WHEN {undispatched_job('j')} THEN 'DISPATCHED' ELSE j.state END,
       dispatched_at = COALESCE(j.dispatched_at, now() - v.age_ms * interval '1 millisecond'),
       deadline_at = CASE
           WHEN NOT {undispatched_job('j')} OR j.state = 'DISPATCHED' OR j.started_at IS NOT NULL
           THEN j.deadline_at
           WHEN j.schedule_to_start_ms IS NOT NULL
           THEN COALESCE(j.start_by, now() + j.schedule_to_start_ms * interval '1 millisecond')
                + {START_GRACE_MS} * interval '1 millisecond'
           ELSE now() + %s::bigint * interval '1 millisecond' END,
       deadline_kind = CASE
           WHEN NOT {undispatched_job('j')} OR j.state = 'DISPATCHED' OR j.started_at IS NOT NULL
           THEN j.deadline_kind
           WHEN j.schedule_to_start_ms IS NOT NULL THEN 'ScheduleToStart'
           WHEN %s::bigint IS NOT NULL THEN '{UNREPORTED}' END,
       kafka_partition = v.p, kafka_offset = v.o
FROM unnest(%s::uuid[], %s::int[], %s::bigint[], %s::int[]) AS v(job_id, p, o, age_ms)
WHERE j.job_id = v.job_id
  AND ({undispatched_job('j')} OR j.dispatched_at IS NULL)
"""

UPDATE_STEPS = """
UPDATE steps AS s SET status = v.status,
       attempts = GREATEST(s.attempts, v.attempts),
       input = COALESCE(v.input::jsonb, s.input),
       output = v.output::jsonb,
       error = v.error::jsonb,
       started_at = CASE WHEN v.started THEN COALESCE(s.started_at, now()) ELSE s.started_at END,
       ended_at = CASE WHEN v.ended THEN now() END,
       wake_at = COALESCE(v.wake_at, now() + v.wake_in * interval '1 millisecond'),
       items_total = COALESCE(v.items, s.items_total),
       items_open = COALESCE(v.items, s.items_open)
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],
            %s::bool[], %s::bool[], %s::timestamptz[], %s::bigint[], %s::int[])
     AS v(run_id, step_id, status, attempts, input, output, error, started, ended, wake_at, wake_in, items)
WHERE s.run_id = v.run_id AND s.step_id = v.step_id AND s.status <> 'CANCELLED'
"""

UPDATE_ITEMS = """
UPDATE step_items AS i SET status = v.status, attempts = GREATEST(i.attempts, v.attempts),
       output = v.output::jsonb, error = v.error::jsonb
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::int[], %s::text[], %s::text[])
     AS v(run_id, step_id, item_index, status, attempts, output, error)
WHERE i.run_id = v.run_id AND i.step_id = v.step_id AND i.item_index = v.item_index
  AND i.status NOT IN ('COMPLETED', 'CANCELLED')
"""

INSERT_ITEMS = """
INSERT INTO step_items (run_id, step_id, item_index, status, attempts, input, generation)
SELECT v.run_id, v.step_id, v.item_index, v.status, v.attempts, v.input::jsonb, s.generation
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::int[], %s::text[])
     AS v(run_id, step_id, item_index, status, attempts, input)
JOIN steps AS s ON s.run_id = v.run_id AND s.step_id = v.step_id
"""

# A run that failed stops: its open steps are closed and every attempt not yet ended is closed and
# withdrawn too (attempts_sql.WITHDRAW_RUN_JOBS; a running one's late result or timeout is ignored).
CLOSE_RUN_STEPS = """
UPDATE steps SET status = 'CANCELLED', ended_at = now(), wake_at = NULL
WHERE run_id = ANY(%s) AND status IN ('RUNNING', 'RETRYING', 'WAITING')
"""

UPDATE_RUNS = f"""
UPDATE runs AS r SET status = v.status, output = v.output::jsonb, error = v.error::jsonb,
       updated_at = now(), ended_at = now()
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[]) AS v(run_id, status, output, error)
WHERE r.run_id = v.run_id AND {live_run('r')}
"""

# A job belongs to the current generation of its step (or map item); its due times are computed by
# the database's clock, like every due time (no application clock is compared with them). The
# start-by time is set again when the scheduler leases the job for publication (LEASE_DUE_JOBS), or
# admits it (limits_sql.ADMIT). A job of a limited action is written throttled, with its run's priority.
INSERT_JOBS = """
INSERT INTO jobs (job_id, run_id, step_id, attempt, action, topic, payload, state, timeout_ms, not_before,
                  item_index, generation, schedule_to_start_ms, heartbeat_ms, details, requeues, start_by,
                  limited, throttled, priority)
SELECT v.job_id, v.run_id, v.step_id, v.attempt, v.action, v.topic, v.payload, 'PENDING', v.timeout_ms,
       now() + v.delay_ms * interval '1 millisecond', v.item_index,
       COALESCE(i.generation, s.generation), v.sts_ms, v.hb_ms, v.details, v.requeues,
       now() + v.sts_ms * interval '1 millisecond',
       v.limited, v.limited,
       CASE WHEN v.limited THEN (SELECT r.priority FROM runs AS r WHERE r.run_id = v.run_id) ELSE 3 END
FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],
            %s::int[], %s::bigint[], %s::int[], %s::int[], %s::int[], %s::text[], %s::int[], %s::bool[])
     AS v(job_id, run_id, step_id, attempt, action, topic, payload, timeout_ms, delay_ms, item_index,
          sts_ms, hb_ms, details, requeues, limited)
JOIN steps AS s ON s.run_id = v.run_id AND s.step_id = v.step_id
LEFT JOIN step_items AS i ON i.run_id = v.run_id AND i.step_id = v.step_id AND i.item_index = v.item_index
"""

# The same, answering the start-by times (epoch ms) the records of immediate jobs carry; used only
# when a job of the plan has scheduleToStartSeconds (a result row ends the statement pipeline).
INSERT_JOBS_RETURNING_START_BY = (
    INSERT_JOBS.rstrip() + "\nRETURNING job_id, " + START_BY_MS.replace("j.", "") + " AS start_by_ms\n"
)


@dataclass(frozen=True, slots=True)
class StartByRow:
    """A job INSERT_JOBS_RETURNING_START_BY wrote, and the start-by time (epoch ms) its record carries."""

    job_id: UUID
    start_by_ms: int | None


# Event ids follow the plan's order (WITH ORDINALITY ... ORDER BY), so history reads in order.
INSERT_EVENTS = """
INSERT INTO run_events (run_id, type, step_id, attempt, data)
SELECT run_id, type, step_id, attempt, data::jsonb
FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[], %s::text[])
     WITH ORDINALITY AS v(run_id, type, step_id, attempt, data, ord)
ORDER BY ord
"""

FIRST_FAILURE_AT = """
SELECT min(finished_at) AS first_failure_at FROM jobs
WHERE run_id = %s AND step_id = %s AND state IN ('FAILED', 'TIMED_OUT')
"""


@dataclass(frozen=True, slots=True)
class FirstFailureRow:
    """When a step's first attempt failed (or timed out); None if none did."""

    first_failure_at: datetime | None


# Jobs written outside the engine (triggers, replays, retries of runs) wake the engine's relay.
JOBS_CHANNEL = "legato_jobs"
NOTIFY_JOBS = f"NOTIFY {JOBS_CHANNEL}"
# Attempts withdrawn by an operation (cancel, retry, replay): the engine publishes their Cancel
# records at once (withdrawals of its own go out with its next tick).
WITHDRAWALS_CHANNEL = "legato_withdrawals"
NOTIFY_WITHDRAWALS = f"NOTIFY {WITHDRAWALS_CHANNEL}"
# An operation that makes timers due or ends runs with children (resume, cancel): the engine runs
# its scheduler tick at once (timers fire, children are cancelled, parents take their children's ends).
WAKE_CHANNEL = "legato_wake"
NOTIFY_WAKE = f"NOTIFY {WAKE_CHANNEL}"
LISTEN = f"LISTEN {JOBS_CHANNEL}; LISTEN {WITHDRAWALS_CHANNEL}; LISTEN {WAKE_CHANNEL}"
