"""Statements behind run operations: cancel a run, retry a failed run from where it failed.

A statement the state machine reads rows of has its row type beside it (store.rows.fetch_all).
"""

from dataclasses import dataclass
from uuid import UUID

LOCK_RUN = "SELECT status, workflow_id, version, correlation_id FROM runs WHERE run_id = %s FOR UPDATE"


@dataclass(frozen=True, slots=True)
class RunStateRow:
    """The run LOCK_RUN locked: its status, and what a retry plans it with."""

    status: str
    workflow_id: str
    version: int
    correlation_id: str | None


# Pause (PAUSED) or resume (RUNNING) runs the caller locked; updated_at restarts the stuck-run clock.
SET_RUN_STATUS = "UPDATE runs SET status = %s, updated_at = now() WHERE run_id = ANY(%s)"

CANCEL_RUN = """
UPDATE runs SET status = 'CANCELLED', updated_at = now(), ended_at = now() WHERE run_id = %s
"""

# Pending steps never start, running ones are abandoned (their results will be ignored), waits dropped.
CANCEL_STEPS = """
UPDATE steps SET status = 'CANCELLED', ended_at = now(), wake_at = NULL
WHERE run_id = %s AND status IN ('PENDING', 'RUNNING', 'RETRYING', 'WAITING')
"""

# Every attempt of the run not yet ended is closed and withdrawn: attempts_sql.WITHDRAW_RUN_JOBS.

CANCEL_ITEMS = """
UPDATE step_items SET status = 'CANCELLED' WHERE run_id = %s AND status IN ('PENDING', 'RUNNING', 'RETRYING')
"""

STEP_STATES = "SELECT step_id, status FROM steps WHERE run_id = %s"


@dataclass(frozen=True, slots=True)
class StepStateRow:
    step_id: str
    status: str


MAPPED_STEPS = "SELECT DISTINCT step_id FROM step_items WHERE run_id = %s"


@dataclass(frozen=True, slots=True)
class MappedStepRow:
    step_id: str


REOPEN_RUN = """
UPDATE runs SET status = 'RUNNING', output = NULL, error = NULL, ended_at = NULL, updated_at = now(),
       open_sinks = %s
WHERE run_id = %s
"""

RESET_STEPS = """
UPDATE steps AS s SET status = 'PENDING', attempts = 0, output = NULL, error = NULL, started_at = NULL,
       ended_at = NULL, wake_at = NULL, items_total = NULL, items_open = NULL, pending_deps = v.n,
       generation = s.generation + 1, child_run_id = NULL
FROM unnest(%s::text[], %s::int[]) AS v(step_id, n)
WHERE s.run_id = %s AND s.step_id = v.step_id
"""

# A map whose dependencies are unchanged keeps its completed items and re-runs the others.
RESET_ITEMS = """
UPDATE step_items SET status = 'PENDING', attempts = 0, error = NULL, generation = generation + 1
WHERE run_id = %s AND step_id = ANY(%s) AND status <> 'COMPLETED'
"""

# A replay's payload override for one map item.
SET_ITEM_INPUT = (
    "UPDATE step_items SET input = %s::jsonb WHERE run_id = %s AND step_id = %s AND item_index = %s"
)

# One dead item of a map that is still running goes again (a new generation), in its turn.
REQUEUE_ITEM = """
UPDATE step_items SET status = 'PENDING', attempts = 0, error = NULL, generation = generation + 1,
       input = COALESCE(%s::jsonb, input)
WHERE run_id = %s AND step_id = %s AND item_index = %s AND status = 'DEAD_LETTERED'
"""

REOPEN_ITEM_SLOT = """
UPDATE steps SET items_open = items_open + 1
WHERE run_id = %s AND step_id = %s AND status = 'RUNNING'
RETURNING (SELECT count(*) FROM step_items AS i
           WHERE i.run_id = steps.run_id AND i.step_id = steps.step_id
             AND i.status IN ('RUNNING', 'RETRYING')) AS running
"""


@dataclass(frozen=True, slots=True)
class ItemSlotRow:
    """How many of the map's items are running (or retrying), once REOPEN_ITEM_SLOT freed a slot."""

    running: int


# Runs RUNNING with nothing that can move them on: no attempt queued or running, no timer. Every
# commit that leaves a run RUNNING also leaves one of these, so such a run is stuck (a bug, or data
# changed by hand); the reconciler reports and resumes it.
STUCK_RUNS = """
SELECT r.run_id, r.workflow_id, r.version, r.correlation_id FROM runs AS r
WHERE r.status = 'RUNNING' AND r.updated_at < now() - %s * interval '1 millisecond'
  AND NOT EXISTS (SELECT 1 FROM jobs AS j WHERE j.run_id = r.run_id AND j.state IN ('PENDING', 'DISPATCHED'))
  AND NOT EXISTS (
      SELECT 1 FROM steps AS s WHERE s.run_id = r.run_id
        AND (s.status = 'WAITING' OR s.wake_at IS NOT NULL
             OR (s.status = 'RUNNING' AND s.child_run_id IS NOT NULL)))
ORDER BY r.run_id LIMIT %s FOR UPDATE OF r SKIP LOCKED
"""


@dataclass(frozen=True, slots=True)
class StuckRunRow:
    run_id: UUID
    workflow_id: str
    version: int
    correlation_id: str | None


RESUME_MAPS = """
UPDATE steps AS s SET status = 'RUNNING', attempts = 1, started_at = now(),
       items_total = (SELECT count(*) FROM step_items AS i
                      WHERE i.run_id = s.run_id AND i.step_id = s.step_id),
       items_open = (SELECT count(*) FROM step_items AS i
                     WHERE i.run_id = s.run_id AND i.step_id = s.step_id AND i.status <> 'COMPLETED')
WHERE s.run_id = %s AND s.step_id = ANY(%s)
RETURNING s.step_id, s.items_open
"""


@dataclass(frozen=True, slots=True)
class ResumedMapRow:
    step_id: str
    items_open: int


# A map that will run again after its dependencies re-run evaluates its forEach afresh.
DELETE_ITEMS = "DELETE FROM step_items WHERE run_id = %s AND step_id = ANY(%s)"

INSERT_EVENT = """
INSERT INTO run_events (run_id, type, step_id, attempt, data) VALUES (%s, %s, NULL, NULL, %s::jsonb)
"""
