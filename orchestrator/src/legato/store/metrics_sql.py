"""Statements behind the engine's sampled gauges (engine.sampler)."""

from dataclasses import dataclass

# The outbox: PENDING jobs that are due or being handed to Kafka (an immediate job is written with
# its not_before one hand-over grace ahead; a retry still waiting out a longer delay is not in it).
# A job's age counts from when it became due: GREATEST(written, due - grace). Served by the
# partial index jobs_outbox (not_before WHERE state = 'PENDING' AND NOT throttled). A paused run's jobs
# wait on purpose: they are not counted (legato_runs_paused counts their runs), nor are throttled
# jobs (legato_throttled_jobs).
OUTBOX = """
SELECT count(*) AS depth,
       COALESCE(GREATEST(0, EXTRACT(EPOCH FROM
           now() - min(GREATEST(created_at, not_before - %(grace)s * interval '1 millisecond'))))::float8, 0)
           AS oldest_age_s
FROM jobs AS j
WHERE j.state = 'PENDING' AND NOT j.throttled AND j.not_before <= now() + %(grace)s * interval '1 millisecond'
  AND NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.run_id = j.run_id AND r.status = 'PAUSED')
"""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    depth: int
    oldest_age_s: float


# What runs wait for: signal steps waiting (steps_signal_waits), paused runs (runs_status_created).
WAITS = """
SELECT (SELECT count(*) FROM steps WHERE status = 'WAITING' AND signal_name IS NOT NULL) AS signal_waits,
       (SELECT count(*) FROM runs WHERE status = 'PAUSED') AS paused_runs
"""


@dataclass(frozen=True, slots=True)
class WaitsRow:
    signal_waits: int
    paused_runs: int


# Runs PENDING behind their concurrency key (runs_status_created).
PENDING_RUNS = "SELECT count(*) AS runs FROM runs WHERE status = 'PENDING'"


@dataclass(frozen=True, slots=True)
class PendingRunsRow:
    runs: int
