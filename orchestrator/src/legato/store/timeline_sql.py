"""Statements behind a run's attempts (every jobs row, oldest first) and its waits: its timeline.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# dispatched_at is when the publication's acknowledgement was recorded, which can come after the
# worker's answer: an attempt was queued no later than it started or ended.
ATTEMPT_COLUMNS = """
job_id, step_id, item_index, attempt, state, created_at,
LEAST(dispatched_at, started_at, finished_at) AS dispatched_at, started_at, finished_at,
worker_id, deadline_kind, requeues, action, generation
"""


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """An attempt of the run (ATTEMPTS, ATTEMPTS_AFTER: ATTEMPT_COLUMNS)."""

    job_id: UUID
    step_id: str
    item_index: int | None
    attempt: int
    state: str
    created_at: datetime
    dispatched_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    worker_id: str | None
    deadline_kind: str | None
    requeues: int
    action: str
    generation: int


# The run's attempts from `jobs_run_step` (run_id leads it), sorted: a run holds a bounded number of
# attempts, each page sorts them once.
ATTEMPTS = f"""
SELECT {ATTEMPT_COLUMNS} FROM jobs
WHERE run_id = %s ORDER BY created_at, job_id LIMIT %s
"""

ATTEMPTS_AFTER = f"""
SELECT {ATTEMPT_COLUMNS} FROM jobs
WHERE run_id = %s AND (created_at, job_id) > (%s, %s) ORDER BY created_at, job_id LIMIT %s
"""

# Wait steps (no action): when they started waiting, until when, when they ended.
WAITS = """
SELECT step_id, status, started_at, ended_at, wake_at FROM steps
WHERE run_id = %s AND action IS NULL ORDER BY position
"""


@dataclass(frozen=True, slots=True)
class WaitRow:
    """A wait step of the run (WAITS)."""

    step_id: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    wake_at: datetime | None
