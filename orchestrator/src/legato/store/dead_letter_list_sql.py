"""Statements behind the dead-letter list of the API: newest first, keyset pages, set filters only."""

from legato.store.dlt_sql import COLUMNS

# Each filter's condition; the parameters are named after the filter.
CONDITIONS = {
    "workflow_id": "workflow_id = %(workflow_id)s",
    "action": "action = %(action)s",
    "error_type": "error_type = %(error_type)s",
    "run_id": "run_id = %(run_id)s",
    "since": "dead_at >= %(since)s",
    "replayed": "replayed_at IS NOT NULL",
    "not_replayed": "replayed_at IS NULL",
    "after": "(dead_at, job_id) < (%(after_at)s, %(after_id)s)",
}

# {where}: the newest rows matching (dead_letters_dead_at, or _workflow / _action / _run).
PAGE = (
    "SELECT "
    + COLUMNS
    + " FROM dead_letters WHERE {where} ORDER BY dead_at DESC, job_id DESC LIMIT %(limit)s"
)
