"""Concurrency keys: at most `limit` open (RUNNING or PAUSED) runs of a workflow per key.

Lock order: a key's advisory lock (`concurrency<US>workflow<US>key`), taken by the transaction that
starts a keyed run (a trigger, in the sorted order of its keys) or releases its PENDING runs (a try
lock: the engine never waits for a key). Counting under the lock makes the limit exact across every
orchestrator; runs end without it (the count only falls).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

_KEY = "hashtextextended('concurrency' || chr(31) || w || chr(31) || k, 0)"

LOCK_KEYS = f"""
SELECT pg_advisory_xact_lock(h) FROM (
    SELECT DISTINCT {_KEY} AS h FROM unnest(%s::text[], %s::text[]) AS u(w, k) ORDER BY h) AS s
"""

# The keys of `%s` that no other transaction holds now: locked (until commit) and answered.
TRY_LOCK_KEYS = f"""
SELECT w AS workflow_id, k AS concurrency_key FROM unnest(%s::text[], %s::text[]) AS u(w, k)
WHERE pg_try_advisory_xact_lock({_KEY})
"""


@dataclass(frozen=True, slots=True)
class KeyRow:
    workflow_id: str
    concurrency_key: str


# Open runs per key: RUNNING or PAUSED (they hold a slot), and PENDING (they wait for one).
OPEN_BY_KEY = """
SELECT r.workflow_id, r.concurrency_key,
       count(*) FILTER (WHERE r.status IN ('RUNNING', 'PAUSED')) AS running,
       count(*) FILTER (WHERE r.status = 'PENDING') AS pending
FROM runs AS r JOIN unnest(%s::text[], %s::text[]) AS u(w, k)
  ON r.workflow_id = u.w AND r.concurrency_key = u.k
WHERE r.concurrency_key IS NOT NULL AND r.status IN ('PENDING', 'RUNNING', 'PAUSED')
GROUP BY r.workflow_id, r.concurrency_key
"""


@dataclass(frozen=True, slots=True)
class OpenRow:
    workflow_id: str
    concurrency_key: str
    running: int
    pending: int


# The oldest open runs of a key (cancelOldest), up to %s.
OLDEST_OPEN = """
SELECT run_id FROM runs
WHERE workflow_id = %s AND concurrency_key = %s AND status IN ('RUNNING', 'PAUSED')
ORDER BY created_at, run_id LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class RunIdRow:
    run_id: UUID


# Keys with PENDING runs, the longest-waiting first, with the newest version among them (whose
# concurrency limit applies).
PENDING_KEYS = """
SELECT workflow_id, concurrency_key, max(version) AS version FROM runs
WHERE status = 'PENDING' AND concurrency_key IS NOT NULL
GROUP BY workflow_id, concurrency_key ORDER BY min(created_at) LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class PendingKeyRow:
    workflow_id: str
    concurrency_key: str
    version: int


# Start the PENDING runs of locked keys that their free slots allow: by priority then age within a
# key, and round robin across keys (every key's first, then every key's second...), %(batch)s at most.
# `room` is each key's limit (NULL: none any more) less its open runs.
RELEASE = """
WITH k AS (
    SELECT u.w, u.k, u.lim - (
        SELECT count(*) FROM runs AS o
        WHERE o.workflow_id = u.w AND o.concurrency_key = u.k AND o.status IN ('RUNNING', 'PAUSED')) AS room
    FROM unnest(%(workflows)s::text[], %(keys)s::text[], %(limits)s::int[]) AS u(w, k, lim)
), ranked AS (
    SELECT r.run_id, k.room,
           row_number() OVER (PARTITION BY r.workflow_id, r.concurrency_key
                              ORDER BY r.priority, r.created_at, r.run_id) AS place,
           r.priority, r.created_at
    FROM runs AS r JOIN k ON r.workflow_id = k.w AND r.concurrency_key = k.k
    WHERE r.status = 'PENDING'
), chosen AS MATERIALIZED (
    SELECT run_id FROM ranked WHERE room IS NULL OR place <= room
    ORDER BY place, priority, created_at LIMIT %(batch)s
)
UPDATE runs AS r SET status = 'RUNNING', updated_at = now()
FROM chosen WHERE r.run_id = chosen.run_id AND r.status = 'PENDING'
RETURNING r.run_id, r.workflow_id, r.version, r.input, r.correlation_id, r.trace_context, r.concurrency_key,
          r.created_at
"""


@dataclass(frozen=True, slots=True)
class ReleasedRow:
    """A PENDING run RELEASE started."""

    run_id: UUID
    workflow_id: str
    version: int
    input: Any
    correlation_id: str | None
    trace_context: str | None
    concurrency_key: str
    created_at: datetime
