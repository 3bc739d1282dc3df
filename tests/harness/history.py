"""Finished 3-step runs written straight into PostgreSQL with set-based SQL (generate_series).

Each run looks like one the engine finished: its run row, 3 COMPLETED steps, 3 COMPLETED jobs and
the 8 events a real 3-step run leaves (RUN_CREATED, STEP_SCHEDULED/STEP_COMPLETED x 3,
RUN_COMPLETED). Ids are UUIDv7 built from the run's end time, as the orchestrator makes them.
Used by the retention tests and by the large-history bench (a million runs in a few minutes).
"""

import random
from datetime import UTC, datetime
from typing import Any

import psycopg

# A UUIDv7 from a time, a per-fill salt and a sequence number (unique within one fill).
V7 = """
CREATE OR REPLACE FUNCTION pg_temp.v7(t timestamptz, salt int, n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
  SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
          || lpad(to_hex(salt), 3, '0') || '8' || lpad(to_hex(n), 15, '0'))::uuid
$$
"""

# Run n ended at start + n * gap; its steps took 10 ms each before that.
SERIES = """
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n,
     LATERAL (SELECT %(start)s::timestamptz + n * make_interval(secs => %(gap)s) AS t) AS tt
"""

STEPS = "(VALUES ('a', 'bench-a', 0), ('b', 'bench-b', 1), ('c', 'bench-c', 2)) AS s(step_id, action, pos)"

FILL = (
    """
INSERT INTO runs (run_id, workflow_id, version, status, input, output, created_at, updated_at, ended_at,
                  open_sinks)
SELECT pg_temp.v7(t, %(salt)s, n), %(wid)s, 1, %(status)s, jsonb_build_object('i', n),
       jsonb_build_object('i', n), t - interval '40 ms', t, t, 0
"""
    + SERIES,
    """
INSERT INTO steps (run_id, step_id, action, status, attempts, pending_deps, input, output, started_at,
                   ended_at, position)
SELECT pg_temp.v7(t, %(salt)s, n), s.step_id, s.action, 'COMPLETED', 1, 0, jsonb_build_object('i', n),
       jsonb_build_object('i', n), t - (30 - 10 * s.pos) * interval '1 ms',
       t - (20 - 10 * s.pos) * interval '1 ms', s.pos
"""
    + SERIES
    + ", "
    + STEPS,
    """
INSERT INTO jobs (job_id, run_id, step_id, attempt, action, topic, payload, state, timeout_ms, not_before,
                  created_at, dispatched_at, finished_at, kafka_partition, kafka_offset)
SELECT pg_temp.v7(t - (30 - 10 * s.pos) * interval '1 ms', %(salt)s, n * 3 + s.pos),
       pg_temp.v7(t, %(salt)s, n),
       s.step_id, 1, s.action, 'history-jobs.' || s.action,
       CASE WHEN t >= %(payload_since)s THEN jsonb_build_object('i', n)::text ELSE '' END,
       'COMPLETED', 30000, t - (30 - 10 * s.pos) * interval '1 ms', t - (30 - 10 * s.pos) * interval '1 ms',
       t - (29 - 10 * s.pos) * interval '1 ms', t - (20 - 10 * s.pos) * interval '1 ms', 0, n * 3 + s.pos
"""
    + SERIES
    + ", "
    + STEPS,
    """
INSERT INTO run_events (run_id, at, type, step_id, attempt, data)
SELECT pg_temp.v7(t, %(salt)s, n), t - e.ms * interval '1 ms', e.type, e.step_id, e.attempt, e.data
"""
    + SERIES
    + """,
(VALUES ('RUN_CREATED', NULL, NULL, '{"version": 1}'::jsonb, 40),
        ('STEP_SCHEDULED', 'a', 1, '{"topic": "history-jobs.bench-a"}', 30),
        ('STEP_COMPLETED', 'a', 1, NULL, 20),
        ('STEP_SCHEDULED', 'b', 1, '{"topic": "history-jobs.bench-b"}', 20),
        ('STEP_COMPLETED', 'b', 1, NULL, 10),
        ('STEP_SCHEDULED', 'c', 1, '{"topic": "history-jobs.bench-c"}', 10),
        ('STEP_COMPLETED', 'c', 1, NULL, 0),
        ('RUN_COMPLETED', NULL, NULL, NULL, 0)) AS e(type, step_id, attempt, data, ms)
""",
)


def fill(
    conn: psycopg.Connection[Any],
    workflow_id: str,
    runs: int,
    ended_from: datetime,
    ended_until: datetime,
    status: str = "COMPLETED",
    payload_since: datetime | None = None,
    chunk: int = 100_000,
) -> None:
    """Write `runs` finished runs of `workflow_id` ending evenly between the two times.

    Jobs keep their payload if their run ended at or after `payload_since` (None: always), as
    after payload retention. One transaction per chunk of runs.
    """
    gap = (ended_until - ended_from).total_seconds() / max(runs, 1)
    params: dict[str, Any] = {
        "wid": workflow_id,
        "status": status,
        "salt": random.randrange(4096),
        "start": ended_from,
        "gap": gap,
        "payload_since": payload_since or datetime.min.replace(tzinfo=UTC),
    }
    conn.execute(V7)
    for first in range(0, runs, chunk):
        with conn.transaction():
            for statement in FILL:
                conn.execute(statement, {**params, "first": first, "last": min(first + chunk, runs) - 1})
