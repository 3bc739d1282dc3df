"""Work not started, for admission control (flow.backlog): PENDING runs, and jobs no worker has
started (throttled, in the outbox, or waiting in their topic). One part per partial index
(jobs_outbox, jobs_limited_live, jobs_deadline), so the count reads only what waits."""

from dataclasses import dataclass

BACKLOG = """
SELECT workflow_id, count(*) AS waiting FROM (
    SELECT r.workflow_id FROM jobs AS j JOIN runs AS r ON r.run_id = j.run_id
    WHERE j.state = 'PENDING' AND NOT j.throttled
    UNION ALL
    SELECT r.workflow_id FROM jobs AS j JOIN runs AS r ON r.run_id = j.run_id
    WHERE j.limited AND j.throttled AND j.state = 'PENDING'
    UNION ALL
    SELECT r.workflow_id FROM jobs AS j JOIN runs AS r ON r.run_id = j.run_id
    WHERE j.state = 'DISPATCHED' AND j.started_at IS NULL
    UNION ALL
    SELECT workflow_id FROM runs WHERE status = 'PENDING'
) AS w GROUP BY workflow_id
"""


@dataclass(frozen=True, slots=True)
class WaitingRow:
    workflow_id: str
    waiting: int


# Jobs that ended in the last %s seconds (read on jobs_payload_kept): how fast work drains.
DRAINED = """
SELECT count(*) AS jobs FROM jobs
WHERE payload <> '' AND finished_at > now() - %s * interval '1 second'
"""


@dataclass(frozen=True, slots=True)
class DrainedRow:
    jobs: int


# The maxBacklog of each workflow's latest version that sets one (a value that is not a number, which
# the API never stores, is ignored rather than failing the count).
MAX_BACKLOGS = """
SELECT workflow_id, max_backlog FROM (
    SELECT DISTINCT ON (workflow_id) workflow_id,
           CASE WHEN jsonb_typeof(definition->'maxBacklog') = 'number'
                THEN (definition->>'maxBacklog')::numeric::bigint END AS max_backlog
    FROM workflow_definitions ORDER BY workflow_id, version DESC) AS latest
WHERE max_backlog IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class MaxBacklogRow:
    workflow_id: str
    max_backlog: int
