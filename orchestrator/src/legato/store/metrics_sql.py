"""Statements behind the engine's sampled gauges (engine.sampler)."""

from dataclasses import dataclass

# The outbox: PENDING jobs that are due or being handed to Kafka (an immediate job is written with
# its not_before one hand-over grace ahead; a retry still waiting out a longer delay is not in it).
# A job's age counts from when it became due: GREATEST(written, due - grace). Served by the
# partial index jobs_outbox (not_before WHERE state = 'PENDING').
OUTBOX = """
SELECT count(*) AS depth,
       COALESCE(GREATEST(0, EXTRACT(EPOCH FROM
           now() - min(GREATEST(created_at, not_before - %(grace)s * interval '1 millisecond'))))::float8, 0)
           AS oldest_age_s
FROM jobs
WHERE state = 'PENDING' AND not_before <= now() + %(grace)s * interval '1 millisecond'
"""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    depth: int
    oldest_age_s: float
