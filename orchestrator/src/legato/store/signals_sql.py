"""Statements behind signals: a run's signals received, kept in arrival order, and consumed by the
steps waiting for them (one signal per waiting step, oldest first).

Lock order is the engine's: the run first (FOR UPDATE), then its steps and signals.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# The run a signal is for, locked: signals of one run are received one at a time, in `id` order.
LOCK_RUN = """
SELECT status, workflow_id, version, correlation_id, trace_context FROM runs WHERE run_id = %s FOR UPDATE
"""


@dataclass(frozen=True, slots=True)
class SignalRunRow:
    status: str
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None


# A signal received before with this signalId (a resend).
SIGNAL_BY_ID = "SELECT name FROM signals WHERE run_id = %s AND signal_id = %s"


@dataclass(frozen=True, slots=True)
class SignalNameRow:
    name: str


# The same signalId twice is one signal: the second insert makes no row.
INSERT_SIGNAL = """
INSERT INTO signals (run_id, name, signal_id, payload) VALUES (%s, %s, %s, %s::jsonb)
ON CONFLICT (run_id, signal_id) DO NOTHING
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class SignalIdRow:
    id: int


# Match the run's waiting signal steps with its signals not yet consumed, name by name: the n-th
# step to start waiting takes the n-th oldest signal. Both sides are marked in one statement.
CONSUME = """
WITH waiting AS (
    SELECT s.run_id, s.step_id, s.signal_name,
           row_number() OVER (PARTITION BY s.run_id, s.signal_name ORDER BY s.started_at, s.position) AS n
    FROM steps AS s JOIN runs AS r ON r.run_id = s.run_id AND r.status = 'RUNNING'
    WHERE s.run_id = ANY(%(runs)s) AND s.status = 'WAITING' AND s.signal_name IS NOT NULL
), queued AS (
    SELECT g.id, g.run_id, g.name, g.signal_id, g.payload,
           row_number() OVER (PARTITION BY g.run_id, g.name ORDER BY g.id) AS n
    FROM signals AS g
    WHERE g.run_id = ANY(%(runs)s) AND g.consumed_at IS NULL
), matched AS (
    SELECT w.run_id, w.step_id, q.id, q.name, q.signal_id, q.payload
    FROM waiting AS w JOIN queued AS q ON q.run_id = w.run_id AND q.name = w.signal_name AND q.n = w.n
), taken AS (
    UPDATE signals AS g SET consumed_at = now(), step_id = m.step_id
    FROM matched AS m WHERE g.id = m.id
)
UPDATE steps AS s SET status = 'COMPLETED', output = m.payload, ended_at = now(), wake_at = NULL
FROM matched AS m, runs AS r
WHERE s.run_id = m.run_id AND s.step_id = m.step_id AND r.run_id = s.run_id
RETURNING s.run_id, s.step_id, s.attempts, m.name, m.signal_id, m.payload::text AS payload,
          r.workflow_id, r.version, r.correlation_id, r.trace_context
"""


@dataclass(frozen=True, slots=True)
class ConsumedRow:
    """A waiting step CONSUME completed with a signal's payload (JSON text)."""

    run_id: UUID
    step_id: str
    attempts: int
    name: str
    signal_id: str
    payload: str
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None


# The safety net (at the reconcile cadence): runs with a signal that a waiting step could take.
LOCK_DELIVERABLE_RUNS = """
SELECT r.run_id FROM runs AS r
WHERE r.run_id IN (
    SELECT g.run_id FROM signals AS g
    WHERE g.consumed_at IS NULL
      AND EXISTS (SELECT 1 FROM steps AS s
                  WHERE s.run_id = g.run_id AND s.signal_name = g.name AND s.status = 'WAITING')
    LIMIT %s)
  AND r.status = 'RUNNING'
ORDER BY r.run_id FOR UPDATE OF r SKIP LOCKED
"""

# Signal waits whose timeout is due, in runs the caller locked.
DUE_TIMEOUTS = """
SELECT s.run_id, s.step_id, s.attempts, r.workflow_id, r.version, r.correlation_id, r.trace_context
FROM steps AS s JOIN runs AS r ON r.run_id = s.run_id AND r.status = 'RUNNING'
WHERE s.run_id = ANY(%s) AND s.status = 'WAITING' AND s.signal_name IS NOT NULL AND s.wake_at <= now()
ORDER BY s.run_id, s.step_id
"""


@dataclass(frozen=True, slots=True)
class DueStepRow:
    """A step whose timer is due (DUE_TIMEOUTS, children_sql.DUE_RESTARTS), with its run."""

    run_id: UUID
    step_id: str
    attempts: int
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None


# The run's signals, oldest first: at most %(limit)s, and none after the payloads read reach
# %(bytes)s (as stored: pg_column_size; the first one is always read, whatever its size). `seen`:
# how many the limit let through before the byte budget (more than listed: the run has more).
LIST = """
SELECT signal_id, name, payload, received_at, consumed_at, step_id, seen
FROM (
    SELECT id, signal_id, name, payload::text AS payload, received_at, consumed_at, step_id,
           sum(pg_column_size(payload)) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING)
               - pg_column_size(payload) AS bytes_before,
           count(*) OVER () AS seen
    FROM (SELECT * FROM signals WHERE run_id = %(run_id)s ORDER BY id LIMIT %(limit)s) AS first
) AS listed
WHERE bytes_before < %(bytes)s
ORDER BY id
"""


@dataclass(frozen=True, slots=True)
class SignalRow:
    signal_id: str
    name: str
    payload: str | None
    received_at: datetime
    consumed_at: datetime | None
    step_id: str | None
    seen: int


INSERT_EVENT = """
INSERT INTO run_events (run_id, type, step_id, attempt, data) VALUES (%s, %s, NULL, NULL, %s::jsonb)
"""
