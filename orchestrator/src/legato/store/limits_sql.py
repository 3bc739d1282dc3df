"""Per-action limits: the limit rows, and the admission of throttled jobs under them.

A job of an action with a limit is written `limited` and `throttled` (engine_sql.INSERT_JOBS). It is
admitted (throttled false, leased for publication) only under its action's `action_limits` row lock,
taken in a statement of its own (LOCK_LIMITS) so that ADMIT, a later statement of the same
transaction, counts the jobs every other orchestrator admitted before it: READ COMMITTED gives each
statement a snapshot of its own, so the count is never older than the lock.

In flight: a limited job admitted and not ended (PENDING being published, or DISPATCHED). Every way
a job ends (result, timeout, cancel, withdrawal) changes its state, so nothing counts slots by hand.
"""

from dataclasses import dataclass
from datetime import datetime

from legato.store.attempts_sql import START_BY, START_BY_MS

# The actions with a limit (workflow.limits caches them per process).
LIMITED_ACTIONS = "SELECT action FROM action_limits"


@dataclass(frozen=True, slots=True)
class ActionRow:
    action: str


# Locks the limits of the actions to admit now; those another orchestrator is admitting are skipped
# (it admits for them), so no engine waits on another.
LOCK_LIMITS = "SELECT action FROM action_limits WHERE action = ANY(%s) ORDER BY action FOR UPDATE SKIP LOCKED"

_IN_FLIGHT = """(SELECT count(*) FROM jobs AS f
    WHERE f.action = l.action AND f.limited AND NOT f.throttled AND f.state IN ('PENDING', 'DISPATCHED'))"""

# The bucket's tokens now: refilled at limit/period per second since refilled_at, at most `limit`.
_TOKENS = """CASE WHEN l.rate_limit IS NULL THEN NULL ELSE LEAST(l.rate_limit::float8,
    l.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - l.refilled_at))
               * 1000.0 * l.rate_limit / l.rate_period_ms) END"""

# Admit the throttled jobs of one locked action that its free slots and tokens allow, by priority,
# then age; jobs of runs that are not RUNNING (paused) wait. The admitted jobs are leased like the
# outbox's (engine_sql.LEASE_DUE_JOBS: the same columns) and their start-by time starts now:
# scheduleToStartSeconds does not count the time a job was throttled. The tokens they used are
# taken from the bucket in the same statement.
ADMIT = f"""
WITH room AS (
    SELECT l.action, {_TOKENS} AS tokens,
           GREATEST(0, LEAST(%(batch)s::bigint,
               COALESCE(l.max_concurrent - {_IN_FLIGHT}, %(batch)s::bigint),
               COALESCE(floor({_TOKENS})::bigint, %(batch)s::bigint))) AS n
    FROM action_limits AS l WHERE l.action = %(action)s
), picked AS MATERIALIZED (  -- chosen once: never more than `n`
    SELECT q.job_id FROM jobs AS q
    WHERE q.action = %(action)s AND q.limited AND q.throttled AND q.state = 'PENDING'
      AND q.not_before <= now()
      AND EXISTS (SELECT 1 FROM runs AS p WHERE p.run_id = q.run_id AND p.status = 'RUNNING')
    ORDER BY q.priority, q.created_at
    LIMIT COALESCE((SELECT n FROM room), 0)
    FOR UPDATE OF q SKIP LOCKED
), admitted AS (
    UPDATE jobs AS j SET throttled = false, not_before = now() + %(lease_ms)s * interval '1 millisecond',
           {START_BY}
    FROM runs AS r
    WHERE j.job_id IN (SELECT job_id FROM picked) AND r.run_id = j.run_id
    RETURNING j.job_id, j.run_id, j.step_id, j.attempt, j.action, j.topic, j.payload, j.timeout_ms,
              r.workflow_id, r.version, r.correlation_id, r.status,
              j.schedule_to_start_ms, j.heartbeat_ms, j.details, j.requeues, r.trace_context,
              {START_BY_MS} AS start_by_ms
), spent AS (
    UPDATE action_limits AS l SET tokens = room.tokens - (SELECT count(*) FROM admitted),
           refilled_at = GREATEST(l.refilled_at, now())
    FROM room WHERE l.action = room.action AND room.tokens IS NOT NULL
)
SELECT * FROM admitted
"""
# Rows: engine_sql.DueJobRow.

# Throttled jobs of actions that have no limit (any more): admitted at once (the relay publishes
# them). `%s`: the actions, or NULL for every action without a limit (the sweep).
RELEASE_UNLIMITED = """
UPDATE jobs AS j SET throttled = false, not_before = LEAST(j.not_before, now())
WHERE j.limited AND j.throttled AND j.state = 'PENDING'
  AND (%(actions)s::text[] IS NULL OR j.action = ANY(%(actions)s::text[]))
  AND NOT EXISTS (SELECT 1 FROM action_limits AS l WHERE l.action = j.action)
"""

# PUT: the limit, and a full bucket. Answers nothing (GET_LIMITS reads it back).
UPSERT_LIMIT = """
INSERT INTO action_limits
    (action, max_concurrent, rate_limit, rate_period_ms, tokens, refilled_at, updated_at)
VALUES (%s, %s, %s, %s, COALESCE(%s, 0), now(), now())
ON CONFLICT (action) DO UPDATE SET
    max_concurrent = EXCLUDED.max_concurrent, rate_limit = EXCLUDED.rate_limit,
    rate_period_ms = EXCLUDED.rate_period_ms,
    tokens = LEAST(COALESCE(EXCLUDED.rate_limit, 0), CASE WHEN action_limits.rate_limit IS NULL
                   THEN EXCLUDED.tokens ELSE action_limits.tokens END),
    updated_at = now()
"""

# Jobs of the action made before its limit, still live: counted from now on (the limit holds for
# them too). One statement per state, so each reads its partial index (jobs_outbox, jobs_deadline).
COUNT_LIVE = (
    "UPDATE jobs SET limited = true WHERE action = %s AND NOT limited AND state = 'PENDING'",
    "UPDATE jobs SET limited = true WHERE action = %s AND NOT limited AND state = 'DISPATCHED'",
)

DELETE_LIMIT = "DELETE FROM action_limits WHERE action = %s RETURNING action"
# Rows: ActionRow.

# The limits with their state now: jobs in flight and throttled, tokens left. `%s`: one action, or
# NULL for all.
GET_LIMITS = f"""
SELECT l.action, l.max_concurrent, l.rate_limit, l.rate_period_ms, {_IN_FLIGHT} AS in_flight,
       (SELECT count(*) FROM jobs AS t
        WHERE t.action = l.action AND t.limited AND t.throttled AND t.state = 'PENDING') AS throttled,
       {_TOKENS} AS tokens, l.updated_at
FROM action_limits AS l
WHERE %s::text IS NULL OR l.action = %s::text
ORDER BY l.action
"""


@dataclass(frozen=True, slots=True)
class LimitRow:
    """An action's limits (GET_LIMITS) and their state now."""

    action: str
    max_concurrent: int | None
    rate_limit: int | None
    rate_period_ms: int | None
    in_flight: int
    throttled: int
    tokens: float | None
    updated_at: datetime
