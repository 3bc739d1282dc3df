"""Whether a run or a job is live, written for the batch statements that name their rows by key.

A batch statement (engine_sql.CLAIM_RESULTS, join_sql.DECREMENT_DEPS, ...) names its rows with an
unnest of keys and checks that their runs (or jobs) are still live. Written as `r.status IN (...)`,
the planner reads the condition's selectivity from the column's statistics; analyzed while the
database was quiet, they say that almost no run or job is live, and under a burst (before autovacuum
analyzes again) the planner starts from those "few" live rows (the index runs_status_created, or a
scan of `jobs`) and scans the whole batch again for each one. Measured on the bench: one
DECREMENT_DEPS of 459 rows with 812 live runs took 211 ms (a nested loop run 812 times); one
CLAIM_RESULTS of 1,539 results scanned 5,800 live jobs against the batch (8.9 M comparisons, 3 s).
The expressions below have no statistics and no index (the planner assumes a small fixed share of
rows), so the batch's keys drive the plan through the primary keys whatever the statistics say.
"""


def live_run(alias: str) -> str:
    """`alias`'s run is RUNNING or PAUSED (its steps' outcomes still count)."""
    return f"({alias}.status || '') IN ('RUNNING', 'PAUSED')"


def running_run(alias: str) -> str:
    """`alias`'s run is RUNNING."""
    return f"({alias}.status || '') = 'RUNNING'"


def live_job(alias: str) -> str:
    """`alias` (a job) is PENDING or DISPATCHED: its attempt has not ended."""
    return f"({alias}.state || '') IN ('PENDING', 'DISPATCHED')"


def undispatched_job(alias: str) -> str:
    """`alias` (a job) waits for Kafka's acknowledgement to be recorded."""
    state = f"({alias}.state || '')"
    return f"({state} = 'PENDING' OR ({state} = 'DISPATCHED' AND {alias}.kafka_offset IS NULL))"
