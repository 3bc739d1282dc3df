"""Statements behind GET /workers.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass

# Attempts waiting for a worker or running, per action (the outbox's and the deadlines' indexes).
QUEUED_BY_ACTION = """
SELECT action, count(*) FILTER (WHERE state = 'PENDING' OR started_at IS NULL) AS queued_jobs,
       count(*) AS open_jobs
FROM jobs WHERE state IN ('PENDING', 'DISPATCHED') GROUP BY action
"""


@dataclass(frozen=True, slots=True)
class QueuedRow:
    """An action's attempts not yet started and not yet ended (queued or running)."""

    action: str
    queued_jobs: int
    open_jobs: int
