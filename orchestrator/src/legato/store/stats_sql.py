"""Statements behind the workflow statistics, the overview and the version list.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

VERSIONS = """
SELECT version, created_at, definition FROM workflow_definitions WHERE workflow_id = %s ORDER BY version
"""


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A version of a workflow (VERSIONS)."""

    version: int
    created_at: datetime
    definition: dict[str, Any]


# Per defined workflow, over the window (seconds): runs started (runs_created), ended by status
# (runs_ended), running now (runs_status_created).
WORKFLOW_STATS = """
WITH started AS (
    SELECT workflow_id, count(*) AS n FROM runs
    WHERE created_at >= now() - make_interval(secs => %(window)s) GROUP BY workflow_id),
ended AS (
    SELECT workflow_id,
           count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
           count(*) FILTER (WHERE status = 'FAILED') AS failed,
           count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled
    FROM runs WHERE ended_at IS NOT NULL AND ended_at >= now() - make_interval(secs => %(window)s)
    GROUP BY workflow_id),
running AS (
    SELECT workflow_id, count(*) AS n FROM runs WHERE status = 'RUNNING' GROUP BY workflow_id),
defined AS (
    SELECT workflow_id, max(version) AS latest FROM workflow_definitions GROUP BY workflow_id)
SELECT d.workflow_id, d.latest, COALESCE(s.n, 0) AS started, COALESCE(e.completed, 0) AS completed,
       COALESCE(e.failed, 0) AS failed, COALESCE(e.cancelled, 0) AS cancelled, COALESCE(r.n, 0) AS running
FROM defined AS d
LEFT JOIN started AS s USING (workflow_id)
LEFT JOIN ended AS e USING (workflow_id)
LEFT JOIN running AS r USING (workflow_id)
ORDER BY d.workflow_id
"""


@dataclass(frozen=True, slots=True)
class WorkflowStatsRow:
    """A defined workflow's counts over the window (WORKFLOW_STATS)."""

    workflow_id: str
    latest: int
    started: int
    completed: int
    failed: int
    cancelled: int
    running: int


# Per minute of the window: runs started and finished.
RUNS_PER_MINUTE = """
WITH minutes AS (
    SELECT generate_series(date_trunc('minute', now() - make_interval(secs => %(window)s)),
                           date_trunc('minute', now()), interval '1 minute') AS m),
started AS (
    SELECT date_trunc('minute', created_at) AS m, count(*) AS n FROM runs
    WHERE created_at >= date_trunc('minute', now() - make_interval(secs => %(window)s)) GROUP BY 1),
finished AS (
    SELECT date_trunc('minute', ended_at) AS m, count(*) AS n FROM runs
    WHERE ended_at IS NOT NULL
      AND ended_at >= date_trunc('minute', now() - make_interval(secs => %(window)s)) GROUP BY 1)
SELECT minutes.m, COALESCE(started.n, 0) AS started, COALESCE(finished.n, 0) AS finished
FROM minutes LEFT JOIN started USING (m) LEFT JOIN finished USING (m) ORDER BY minutes.m
"""


@dataclass(frozen=True, slots=True)
class RunsMinuteRow:
    """A minute of the window (`m`, its start): runs started and finished (RUNS_PER_MINUTE)."""

    m: datetime
    started: int
    finished: int


# Attempts that ended in the window, found by `jobs_payload_kept` (finished attempts keep their
# payload for LEGATO_JOB_PAYLOAD_RETENTION_HOURS; the window never reaches further back).
STEPS_PER_MINUTE = """
SELECT date_trunc('minute', finished_at) AS m,
       count(*) FILTER (WHERE state = 'COMPLETED') AS completed,
       count(*) FILTER (WHERE state NOT IN ('COMPLETED', 'CANCELLED', 'PENDING', 'DISPATCHED')) AS failed
FROM jobs
WHERE payload <> '' AND finished_at >= date_trunc('minute', now() - make_interval(secs => %(window)s))
GROUP BY 1
"""


@dataclass(frozen=True, slots=True)
class StepsMinuteRow:
    """A minute with attempts that ended (`m`, its start): completed and failed (STEPS_PER_MINUTE)."""

    m: datetime
    completed: int
    failed: int


# Latency percentiles (seconds) over the newest %(sample)s attempts that ended in the window:
# execution = finished - started (the worker's reported start; without one, the dispatch),
# queue = started - dispatched (attempts whose worker reported a start).
LATENCY = """
WITH j AS (
    SELECT started_at, dispatched_at, finished_at
    FROM jobs
    WHERE payload <> '' AND finished_at >= now() - make_interval(secs => %(window)s)
      AND state <> 'CANCELLED' AND dispatched_at IS NOT NULL
    ORDER BY finished_at DESC LIMIT %(sample)s)
SELECT count(*) AS sampled,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (
           ORDER BY extract(epoch FROM finished_at - COALESCE(started_at, dispatched_at))) AS execution,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (
           ORDER BY extract(epoch FROM started_at - dispatched_at)) AS queue
FROM j
"""


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """How many attempts LATENCY sampled, and the p50, p95 and p99 (seconds; None without any) of
    their execution and queue times."""

    sampled: int
    execution: list[float] | None
    queue: list[float] | None
