"""The engine's joins: what ended steps, completed map items and due timers make happen next.

Set-based like every engine statement: one round trip per kind of change per settle round. A
statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from uuid import UUID

from legato.store.live import live_run

# A dependant waits for pending_deps more steps; the one that brings it to 0 makes it ready.
DECREMENT_DEPS = f"""
UPDATE steps AS s SET pending_deps = s.pending_deps - v.n
FROM unnest(%s::uuid[], %s::text[], %s::int[]) AS v(run_id, step_id, n), runs AS r
WHERE s.run_id = v.run_id AND s.step_id = v.step_id AND r.run_id = s.run_id
  AND {live_run('r')}
RETURNING s.run_id, s.step_id, s.pending_deps, s.status
"""


@dataclass(frozen=True, slots=True)
class DependantRow:
    """A dependant DECREMENT_DEPS counted down: ready once `pending_deps` is 0 (and it is PENDING)."""

    run_id: UUID
    step_id: str
    pending_deps: int
    status: str


# A run completes when its last open sink ends (every step is an ancestor of some sink).
CLOSE_SINKS = f"""
UPDATE runs AS r SET open_sinks = r.open_sinks - v.n
FROM unnest(%s::uuid[], %s::int[]) AS v(run_id, n)
WHERE r.run_id = v.run_id AND {live_run('r')}
RETURNING r.run_id, r.open_sinks
"""


@dataclass(frozen=True, slots=True)
class SinksRow:
    """A run CLOSE_SINKS counted down: it completes once `open_sinks` is 0."""

    run_id: UUID
    open_sinks: int


READ_STEPS = """
SELECT s.run_id, s.step_id, s.status, s.output::text
FROM unnest(%s::uuid[], %s::text[]) AS v(run_id, step_id)
JOIN steps AS s ON s.run_id = v.run_id AND s.step_id = v.step_id
"""


@dataclass(frozen=True, slots=True)
class StepRow:
    """A step READ_STEPS read: its status and output (JSON text)."""

    run_id: UUID
    step_id: str
    status: str
    output: str | None


READ_INPUTS = "SELECT run_id, input::text FROM runs WHERE run_id = ANY(%s)"


@dataclass(frozen=True, slots=True)
class InputRow:
    """A run's input (JSON text), as READ_INPUTS reads it."""

    run_id: UUID
    input: str | None


ITEMS_DONE = f"""
UPDATE steps AS s SET items_open = s.items_open - v.n
FROM unnest(%s::uuid[], %s::text[], %s::int[]) AS v(run_id, step_id, n), runs AS r
WHERE s.run_id = v.run_id AND s.step_id = v.step_id AND s.status = 'RUNNING'
  AND r.run_id = s.run_id AND {live_run('r')}
RETURNING s.run_id, s.step_id, s.items_open, s.items_total
"""


@dataclass(frozen=True, slots=True)
class MapCountRow:
    """A map ITEMS_DONE counted down: it completes once `items_open` is 0."""

    run_id: UUID
    step_id: str
    items_open: int
    items_total: int


# Each completed item frees one slot: dispatch that many of the map's next PENDING items.
NEXT_ITEMS = """
UPDATE step_items AS i SET status = 'RUNNING', attempts = 1
FROM (
    SELECT x.run_id, x.step_id, x.item_index
    FROM unnest(%s::uuid[], %s::text[], %s::int[]) AS v(run_id, step_id, k)
    CROSS JOIN LATERAL (
        SELECT p.run_id, p.step_id, p.item_index FROM step_items AS p
        WHERE p.run_id = v.run_id AND p.step_id = v.step_id AND p.status = 'PENDING'
        ORDER BY p.item_index LIMIT v.k
    ) AS x
) AS picked
WHERE i.run_id = picked.run_id AND i.step_id = picked.step_id AND i.item_index = picked.item_index
RETURNING i.run_id, i.step_id, i.item_index, i.input::text
"""


@dataclass(frozen=True, slots=True)
class NextItemRow:
    """A map item NEXT_ITEMS dispatched, with its input (JSON text: its job's payload)."""

    run_id: UUID
    step_id: str
    item_index: int
    input: str


# Every item completed: the map's output is the items' outputs, in item order.
FINISH_MAPS = """
UPDATE steps AS s SET status = 'COMPLETED', ended_at = now(),
       output = (SELECT jsonb_agg(i.output ORDER BY i.item_index) FROM step_items AS i
                 WHERE i.run_id = s.run_id AND i.step_id = s.step_id)
FROM unnest(%s::uuid[], %s::text[]) AS v(run_id, step_id)
WHERE s.run_id = v.run_id AND s.step_id = v.step_id
"""

# Runs with a due timer (a wait's wake-up, a signal wait's timeout, a signal wait or child run to
# start again after its retry delay), locked first (lock order run -> steps); runs held elsewhere
# wait a tick. A paused run's timers are not due: they fire once it is resumed.
LOCK_TIMER_RUNS = """
SELECT r.run_id FROM runs AS r
WHERE r.run_id IN (
    (SELECT s.run_id FROM steps AS s JOIN runs AS o ON o.run_id = s.run_id AND o.status = 'RUNNING'
     WHERE s.status = 'WAITING' AND s.wake_at <= now() ORDER BY s.wake_at LIMIT %(limit)s)
    UNION ALL
    (SELECT s.run_id FROM steps AS s JOIN runs AS o ON o.run_id = s.run_id AND o.status = 'RUNNING'
     WHERE s.status = 'RETRYING' AND s.wake_at <= now() ORDER BY s.wake_at LIMIT %(limit)s))
  AND r.status = 'RUNNING'
ORDER BY r.run_id FOR UPDATE OF r SKIP LOCKED
"""

# Durable waits: steps whose timer is due complete (their output is their input).
FIRE_TIMERS = """
UPDATE steps AS s SET status = 'COMPLETED', output = s.input, ended_at = now(), wake_at = NULL
FROM runs AS r
WHERE s.run_id = ANY(%s) AND s.status = 'WAITING' AND s.wake_at <= now() AND s.signal_name IS NULL
  AND r.run_id = s.run_id
RETURNING s.run_id, s.step_id, r.workflow_id, r.version, r.correlation_id, r.status, r.trace_context
"""


@dataclass(frozen=True, slots=True)
class TimerRow:
    """A wait FIRE_TIMERS completed, with its run (`status`: the run's)."""

    run_id: UUID
    step_id: str
    workflow_id: str
    version: int
    correlation_id: str | None
    status: str
    trace_context: str | None


# The paused runs among some (settle holds their new jobs back).
PAUSED_AMONG = "SELECT run_id FROM runs WHERE run_id = ANY(%s) AND status = 'PAUSED'"


@dataclass(frozen=True, slots=True)
class RunIdRow:
    run_id: UUID


# Jobs of a paused run, written for the engine to publish: due now instead, for the relay, which
# leaves them until the run is resumed.
RELEASE_JOBS = "UPDATE jobs SET not_before = now() WHERE job_id = ANY(%s) AND state = 'PENDING'"
