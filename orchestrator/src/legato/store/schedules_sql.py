"""Statements behind schedules: their rows, the fire times handled, and the runs they started.

A schedule's row is the lock that orders everything done to it: the scheduler's tick, a manual
trigger, a backfill and an update each take it (FOR UPDATE) first, so fire times are handled one
at a time per schedule whatever the number of orchestrators. Runs are locked after it, never before.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

SCHEDULE_COLUMNS = """
schedule_id, workflow_id, cron, every, timezone, start_at, end_at, input, overlap, catchup_window_s,
jitter_s, paused, note, next_fire_at, due_at, missed, created_at, updated_at
"""


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    schedule_id: str
    workflow_id: str
    cron: str | None
    every: str | None
    timezone: str
    start_at: datetime | None
    end_at: datetime | None
    input: Any
    overlap: str
    catchup_window_s: int
    jitter_s: int
    paused: bool
    note: str | None
    next_fire_at: datetime | None
    due_at: datetime | None
    missed: int
    created_at: datetime
    updated_at: datetime


LIST = "SELECT " + SCHEDULE_COLUMNS + " FROM schedules ORDER BY schedule_id"

GET = "SELECT " + SCHEDULE_COLUMNS + " FROM schedules WHERE schedule_id = %s"

LOCK = "SELECT " + SCHEDULE_COLUMNS + " FROM schedules WHERE schedule_id = %s FOR UPDATE"

# A schedule whose next fire time is due, or whose buffered fire may start, but those this tick
# handled already. A row another orchestrator holds is left to it (SKIP LOCKED).
LOCK_DUE = (
    "SELECT "
    + SCHEDULE_COLUMNS
    + """ FROM schedules AS s
WHERE NOT s.paused AND (
    s.due_at <= now()
    OR (EXISTS (SELECT 1 FROM schedule_fires AS f
                WHERE f.schedule_id = s.schedule_id AND f.outcome = 'buffered')
        AND NOT EXISTS (SELECT 1 FROM runs AS r
                        WHERE r.schedule_id = s.schedule_id AND r.status IN ('RUNNING', 'PAUSED'))))
    AND NOT (s.schedule_id = ANY(%s))
ORDER BY s.due_at NULLS LAST
LIMIT 1
FOR UPDATE SKIP LOCKED
"""
)

INSERT = (
    """
INSERT INTO schedules (schedule_id, workflow_id, cron, every, timezone, start_at, end_at, input, overlap,
                       catchup_window_s, jitter_s, paused, note, next_fire_at, due_at)
VALUES (%(schedule_id)s, %(workflow_id)s, %(cron)s, %(every)s, %(timezone)s, %(start_at)s, %(end_at)s,
        %(input)s::jsonb, %(overlap)s, %(catchup_window_s)s, %(jitter_s)s, %(paused)s, %(note)s,
        %(next_fire_at)s, %(due_at)s)
ON CONFLICT (schedule_id) DO NOTHING
RETURNING """
    + SCHEDULE_COLUMNS
)

REPLACE = (
    """
UPDATE schedules SET workflow_id = %(workflow_id)s, cron = %(cron)s, every = %(every)s,
    timezone = %(timezone)s, start_at = %(start_at)s, end_at = %(end_at)s, input = %(input)s::jsonb,
    overlap = %(overlap)s, catchup_window_s = %(catchup_window_s)s, jitter_s = %(jitter_s)s,
    paused = %(paused)s, note = %(note)s, next_fire_at = %(next_fire_at)s, due_at = %(due_at)s,
    updated_at = now()
WHERE schedule_id = %(schedule_id)s
RETURNING """
    + SCHEDULE_COLUMNS
)

DELETE = "DELETE FROM schedules WHERE schedule_id = %s"
DELETE_FIRES = "DELETE FROM schedule_fires WHERE schedule_id = %s"

# After a tick: the next fire time to handle, when it is due, and the fire times skipped as too old.
ADVANCE = """
UPDATE schedules SET next_fire_at = %s, due_at = %s, missed = missed + %s WHERE schedule_id = %s
"""

# A schedule whose firing failed: taken again later, from the same next fire time.
DEFER = "UPDATE schedules SET due_at = now() + make_interval(secs => %s) WHERE schedule_id = %s"

SET_PAUSED = (
    """
UPDATE schedules SET paused = %s, note = %s, next_fire_at = %s, due_at = %s, updated_at = now()
WHERE schedule_id = %s
RETURNING """
    + SCHEDULE_COLUMNS
)

# The schedule's runs still open (the overlap policy looks at them).
OPEN_RUNS = (
    "SELECT run_id FROM runs WHERE schedule_id = %s AND status IN ('RUNNING', 'PAUSED') ORDER BY run_id"
)


@dataclass(frozen=True, slots=True)
class OpenRunRow:
    run_id: UUID


# The fire times of a batch, claimed: only those no one handled before come back.
CLAIM_FIRES = """
INSERT INTO schedule_fires (schedule_id, fire_time, source, outcome)
SELECT %s, fire_time, source, 'claimed' FROM unnest(%s::timestamptz[], %s::text[]) AS v(fire_time, source)
ON CONFLICT (schedule_id, fire_time) DO NOTHING
RETURNING fire_time
"""


@dataclass(frozen=True, slots=True)
class ClaimedFireRow:
    fire_time: datetime


# What became of each claimed fire time.
SETTLE_FIRES = """
UPDATE schedule_fires AS f
SET outcome = v.outcome, run_id = v.run_id, message = v.message, recorded_at = now()
FROM unnest(%s::timestamptz[], %s::text[], %s::uuid[], %s::text[]) AS v(fire_time, outcome, run_id, message)
WHERE f.schedule_id = %s AND f.fire_time = v.fire_time
"""

# Buffered fire times, oldest first.
BUFFERED = """
SELECT fire_time, source FROM schedule_fires WHERE schedule_id = %s AND outcome = 'buffered'
ORDER BY fire_time
"""


@dataclass(frozen=True, slots=True)
class BufferedFireRow:
    fire_time: datetime
    source: str


# The latest fire times handled, with their runs' status (newest first).
RECENT_FIRES = """
SELECT f.fire_time, f.source, f.outcome, f.run_id, r.status AS run_status, f.recorded_at, f.message
FROM schedule_fires AS f LEFT JOIN runs AS r ON r.run_id = f.run_id
WHERE f.schedule_id = %s AND f.outcome <> 'claimed'
ORDER BY f.fire_time DESC
LIMIT %s
"""

# The latest fire of each schedule listed (the list shows it).
LAST_FIRES = """
SELECT DISTINCT ON (f.schedule_id) f.schedule_id, f.fire_time, f.source, f.outcome, f.run_id,
       r.status AS run_status, f.recorded_at, f.message
FROM schedule_fires AS f LEFT JOIN runs AS r ON r.run_id = f.run_id
WHERE f.schedule_id = ANY(%s) AND f.outcome <> 'claimed'
ORDER BY f.schedule_id, f.fire_time DESC
"""


@dataclass(frozen=True, slots=True)
class FireRow:
    fire_time: datetime
    source: str
    outcome: str
    run_id: UUID | None
    run_status: str | None
    recorded_at: datetime
    message: str | None


@dataclass(frozen=True, slots=True)
class LastFireRow:
    schedule_id: str
    fire_time: datetime
    source: str
    outcome: str
    run_id: UUID | None
    run_status: str | None
    recorded_at: datetime
    message: str | None


# How many fire times of each schedule wait in its buffer.
BUFFERED_COUNTS = """
SELECT schedule_id, count(*) AS buffered FROM schedule_fires
WHERE schedule_id = ANY(%s) AND outcome = 'buffered' GROUP BY schedule_id
"""


@dataclass(frozen=True, slots=True)
class BufferedCountRow:
    schedule_id: str
    buffered: int


# The database's clock: fire times are due by it, whichever orchestrator looks.
DATABASE_NOW = "SELECT now() AS now"


@dataclass(frozen=True, slots=True)
class NowRow:
    now: datetime
