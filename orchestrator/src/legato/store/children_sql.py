"""Statements behind child workflows: starting a child run from a workflow step, closing the step
when its child ends, cancelling the open children of a run that ended, and starting a signal wait
or a child again after its retry delay.

Lock order is the engine's: a transaction locks the runs it changes first, in run id order. A
child's end reaches its parent in a transaction of its own that locks only parents, and a parent's
end reaches its children in one that locks only children (both SKIP LOCKED): no transaction waits
for a parent while it holds a child, or the other way round.
"""

from dataclasses import dataclass
from uuid import UUID

from legato.store.live import live_run, running_run

# The version each child step runs: the one it names, or the latest now; none: unknown workflow.
RESOLVE_VERSIONS = """
SELECT v.n, d.version
FROM unnest(%s::text[], %s::int[]) WITH ORDINALITY AS v(workflow_id, version, n)
LEFT JOIN LATERAL (
    SELECT w.version FROM workflow_definitions AS w
    WHERE w.workflow_id = v.workflow_id AND (v.version IS NULL OR w.version = v.version)
    ORDER BY w.version DESC LIMIT 1
) AS d ON true
ORDER BY v.n
"""


@dataclass(frozen=True, slots=True)
class VersionRow:
    n: int  # 1-based position in the request
    version: int | None


PARENTS = "SELECT run_id, status, depth FROM runs WHERE run_id = ANY(%s)"


@dataclass(frozen=True, slots=True)
class ParentRow:
    run_id: UUID
    status: str
    depth: int


INSERT_CHILD_RUNS = """
INSERT INTO runs (run_id, workflow_id, version, status, input, correlation_id, open_sinks, trace_context,
                  parent_run_id, parent_step_id, depth)
SELECT run_id, workflow_id, version, 'RUNNING', input::jsonb, correlation_id, open_sinks, trace_context,
       parent_run_id, parent_step_id, depth
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[], %s::int[], %s::text[],
            %s::uuid[], %s::text[], %s::int[])
     AS v(run_id, workflow_id, version, input, correlation_id, open_sinks, trace_context,
          parent_run_id, parent_step_id, depth)
"""

# The parent step points at its child (the child of its latest attempt).
LINK_CHILDREN = """
UPDATE steps AS s SET child_run_id = v.child_run_id
FROM unnest(%s::uuid[], %s::text[], %s::uuid[]) AS v(run_id, step_id, child_run_id)
WHERE s.run_id = v.run_id AND s.step_id = v.step_id
"""

# A paused run starts no child: the step goes back to ready, and starts when the run is resumed.
HOLD_STEPS = """
UPDATE steps AS s SET status = 'PENDING', started_at = NULL, attempts = 0
FROM unnest(%s::uuid[], %s::text[]) AS v(run_id, step_id)
WHERE s.run_id = v.run_id AND s.step_id = v.step_id
"""

# Steps a paused run held back (ready, never started), once it is resumed.
HELD_STEPS = """
SELECT step_id FROM steps WHERE run_id = %s AND status = 'PENDING' AND pending_deps = 0 ORDER BY position
"""


@dataclass(frozen=True, slots=True)
class HeldStepRow:
    step_id: str


# Parents of children that ended, locked (the parent may be paused: a child's end is applied like a
# job's result).
LOCK_PARENTS_OF_ENDED = """
SELECT r.run_id FROM runs AS r
WHERE r.run_id IN (
    SELECT s.run_id FROM steps AS s JOIN runs AS c ON c.run_id = s.child_run_id
    WHERE s.status = 'RUNNING' AND s.child_run_id IS NOT NULL
      AND c.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
    LIMIT %s)
  AND r.status IN ('RUNNING', 'PAUSED')
ORDER BY r.run_id FOR UPDATE OF r SKIP LOCKED
"""

ENDED_CHILDREN = f"""
SELECT s.run_id, s.step_id, s.attempts, c.run_id AS child_run_id, c.status AS child_status,
       c.output::text AS child_output, c.error::text AS child_error,
       r.workflow_id, r.version, r.correlation_id, r.trace_context
FROM steps AS s
JOIN runs AS c ON c.run_id = s.child_run_id
JOIN runs AS r ON r.run_id = s.run_id AND {live_run('r')}
WHERE s.run_id = ANY(%s) AND s.status = 'RUNNING' AND s.child_run_id IS NOT NULL
  AND c.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
ORDER BY s.run_id, s.step_id
"""


@dataclass(frozen=True, slots=True)
class EndedChildRow:
    run_id: UUID
    step_id: str
    attempts: int
    child_run_id: UUID
    child_status: str
    child_output: str | None
    child_error: str | None
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None


# Open children whose parent ended (failed, cancelled): they are cancelled too, level by level.
LOCK_ORPHANS = """
SELECT c.run_id, c.workflow_id FROM runs AS c
WHERE c.run_id IN (
    SELECT o.run_id FROM runs AS o JOIN runs AS p ON p.run_id = o.parent_run_id
    WHERE o.parent_run_id IS NOT NULL AND o.status IN ('RUNNING', 'PAUSED')
      AND p.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
    LIMIT %s)
  AND c.status IN ('RUNNING', 'PAUSED')
ORDER BY c.run_id FOR UPDATE OF c SKIP LOCKED
"""


@dataclass(frozen=True, slots=True)
class OrphanRow:
    run_id: UUID
    workflow_id: str


# Signal waits and child runs whose retry delay is over, in runs the caller locked: RUNNING again
# (the caller plans what each one does), with their input; the ended child of the attempt before
# is unlinked (the new attempt's child is linked when it starts).
DUE_RESTARTS = f"""
UPDATE steps AS s SET status = 'RUNNING', wake_at = NULL, child_run_id = NULL
FROM runs AS r
WHERE s.run_id = ANY(%s) AND s.status = 'RETRYING' AND s.wake_at <= now()
  AND r.run_id = s.run_id AND {running_run('r')}
RETURNING s.run_id, s.step_id, s.attempts, s.input::text AS input,
          r.workflow_id, r.version, r.correlation_id, r.trace_context
"""


@dataclass(frozen=True, slots=True)
class RestartRow:
    run_id: UUID
    step_id: str
    attempts: int
    input: str | None
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None
