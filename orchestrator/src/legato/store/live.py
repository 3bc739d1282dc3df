"""Whether a run is live, written for the batch statements that name their rows by key.

A batch statement (engine_sql.CLAIM_RESULTS, join_sql.DECREMENT_DEPS, ...) names its rows with an
unnest of keys and checks that their runs are still live. Written as `r.status IN (...)`, the
planner may start from the index runs_status_created instead when the statistics say that few runs
are live (a database analyzed while quiet, before autovacuum analyzes it again under a burst): it
then reads every live run and scans the whole batch again for each one. Measured on the bench:
one DECREMENT_DEPS of 459 rows with 812 live runs took 211 ms (a nested loop run 812 times), and
result batches took seconds. The expressions below cannot use that index, so the batch's keys
drive the plan through the primary keys whatever the statistics say.
"""


def live_run(alias: str) -> str:
    """`alias`'s run is RUNNING or PAUSED (its steps' outcomes still count)."""
    return f"({alias}.status || '') IN ('RUNNING', 'PAUSED')"


def running_run(alias: str) -> str:
    """`alias`'s run is RUNNING."""
    return f"({alias}.status || '') = 'RUNNING'"
