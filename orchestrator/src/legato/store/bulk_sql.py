"""Statements behind bulk cancel and retry: one statement per table for a batch of runs.

Lock order as every run operation: the runs (in run_id order, so two bulk operations never wait
on each other in a cycle), then their steps, items and jobs.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from uuid import UUID

# The runs of a batch still in one of the given states, locked.
LOCK_RUNS = """
SELECT run_id, status, workflow_id, version, correlation_id FROM runs
WHERE run_id = ANY(%s) AND status = ANY(%s)
ORDER BY run_id FOR UPDATE
"""


@dataclass(frozen=True, slots=True)
class BatchRunRow:
    """A run of the batch LOCK_RUNS locked, with its status before the operation."""

    run_id: UUID
    status: str
    workflow_id: str
    version: int
    correlation_id: str | None


CANCEL_RUNS = """
UPDATE runs SET status = 'CANCELLED', updated_at = now(), ended_at = now() WHERE run_id = ANY(%s)
"""

# The workflows of runs an operation changed, counted (legato_runs_finished_total).
WORKFLOWS_OF_RUNS = (
    "SELECT workflow_id, count(*) AS runs FROM runs WHERE run_id = ANY(%s) GROUP BY workflow_id"
)


@dataclass(frozen=True, slots=True)
class WorkflowRunsRow:
    """A workflow and how many of the runs it has (WORKFLOWS_OF_RUNS)."""

    workflow_id: str
    runs: int


CANCEL_STEPS = """
UPDATE steps SET status = 'CANCELLED', ended_at = now(), wake_at = NULL
WHERE run_id = ANY(%s) AND status IN ('PENDING', 'RUNNING', 'RETRYING', 'WAITING')
RETURNING run_id
"""


@dataclass(frozen=True, slots=True)
class CancelledStepRow:
    """A step CANCEL_STEPS cancelled: its run (a run's steps are counted for its event)."""

    run_id: UUID


CANCEL_ITEMS = """
UPDATE step_items SET status = 'CANCELLED'
WHERE run_id = ANY(%s) AND status IN ('PENDING', 'RUNNING', 'RETRYING')
"""

# Every attempt not yet ended is closed and withdrawn (a Cancel record from the outbox), as
# attempts_sql.WITHDRAW_RUN_JOBS does for one run; the count per run is for its event.
WITHDRAW_JOBS = """
WITH gone AS (
    UPDATE jobs SET state = 'CANCELLED', finished_at = now()
    WHERE run_id = ANY(%s) AND state IN ('PENDING', 'DISPATCHED')
    RETURNING job_id, run_id, step_id, attempt, action),
kept AS (
    INSERT INTO job_withdrawals (job_id, run_id, step_id, attempt, action, reason, message)
    SELECT job_id, run_id, step_id, attempt, action, 'RunCancelled', 'the run was cancelled' FROM gone
    ON CONFLICT (job_id) DO NOTHING)
SELECT run_id, count(*) AS jobs FROM gone GROUP BY run_id
"""


@dataclass(frozen=True, slots=True)
class WithdrawnJobsRow:
    """A run and how many of its attempts WITHDRAW_JOBS closed and withdrew."""

    run_id: UUID
    jobs: int


INSERT_EVENTS = """
INSERT INTO run_events (run_id, type, data)
SELECT run_id, %s, data::jsonb FROM unnest(%s::uuid[], %s::text[]) AS v(run_id, data)
"""
