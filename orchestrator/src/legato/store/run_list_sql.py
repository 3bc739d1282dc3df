"""Statements behind the run list, its counts and the selection of bulk operations.

A query is put together from the fragments of the filters a request uses (never a filter that is
"NULL or equal", so each query gets the plan of exactly its filters). Rows come newest first in
(created_at, run_id) order, paged by a keyset on that pair:

- no status or workflow filter: `runs_created` read backwards;
- a status or workflow filter: one ordered, limited subquery per status (`runs_status_created`,
  `runs_workflow_status_created`; every status when only the workflow is given), merged;
- `q` (text in the input): only within the newest SCAN_ROWS runs that match the other filters,
  and of those only as many as hold SCAN_BYTES of input (as stored); each input's text is made
  once, matched and dropped (never kept for the whole window).

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# Each filter's condition on `runs`; the parameters are named after the filter.
CONDITIONS = {
    "workflow_id": "workflow_id = %(workflow_id)s",
    "version": "version = %(version)s",
    "created_after": "created_at >= %(created_after)s",
    "created_before": "created_at < %(created_before)s",
    "run_id": "run_id = %(run_id)s",
    "idempotency_key": "idempotency_key = %(idempotency_key)s",
    "correlation_id": "correlation_id = %(correlation_id)s",
    "schedule_id": "schedule_id = %(schedule_id)s",
    "trigger_id": "trigger_id = %(trigger_id)s",
    # The keyset: everything after the last row of the previous page (newest first).
    "after": "(created_at, run_id) < (%(after_at)s, %(after_id)s)",
}

COLUMNS = """
run_id, workflow_id, version, status, created_at, ended_at, correlation_id, idempotency_key,
error ->> 'stepId' AS error_step, error ->> 'type' AS error_type,
left(error ->> 'message', 1000) AS error_message, schedule_id, scheduled_at, trigger_id, priority
"""

ORDER = "ORDER BY created_at DESC, run_id DESC"

# {columns} {where}: the newest rows matching the filters.
PAGE = "SELECT {columns} FROM runs WHERE {where} " + ORDER + " LIMIT %(limit)s"

# The same per status, merged: each branch ({status}: its parameter) walks (status, created_at), or
# (workflow_id, status, created_at), planned for its own status, and stops at `limit`.
BRANCH = "(SELECT {columns} FROM runs WHERE status = {status} AND {where} " + ORDER + " LIMIT %(limit)s)"

PAGE_BY_STATUS = "SELECT * FROM ({branches}) AS r ORDER BY r.created_at DESC, r.run_id DESC LIMIT %(limit)s"


@dataclass(frozen=True, slots=True)
class ListedRunRow:
    """A run of the list (PAGE or PAGE_BY_STATUS with COLUMNS): the error's fields when it has one."""

    run_id: UUID
    workflow_id: str
    version: int
    status: str
    created_at: datetime
    ended_at: datetime | None
    correlation_id: str | None
    idempotency_key: str | None
    error_step: str | None
    error_type: str | None
    error_message: str | None
    schedule_id: str | None
    scheduled_at: datetime | None
    trigger_id: str | None
    priority: int


# The columns of a listed run (those COLUMNS names), read again from a search's window.
LISTED = (
    "run_id, workflow_id, version, status, created_at, ended_at, correlation_id, idempotency_key, "
    "error_step, error_type, error_message, schedule_id, scheduled_at, trigger_id, priority"
)

# The input bytes (as stored) of the runs before each one of the window, newest first.
BYTES_BEFORE = (
    "sum(pg_column_size(input)) OVER (ORDER BY created_at DESC, run_id DESC ROWS UNBOUNDED PRECEDING) "
    "- pg_column_size(input)"
)

# Text in the input ({scan}: PAGE or PAGE_BY_STATUS with limit = SCAN_ROWS): the window is the runs
# it gives whose newer runs hold less than %(scan_bytes)s of input. Its hits come newest first,
# then one `tail` row: the window's oldest run (from where the next page goes on), how many runs
# were searched, and whether the window was full (rows or bytes: older runs were not searched).
SEARCH = (
    "WITH w AS MATERIALIZED (SELECT s.*, " + BYTES_BEFORE + " AS bytes_before FROM ({scan}) AS s), "
    "scan AS MATERIALIZED (SELECT " + LISTED + ", input::text ILIKE %(pattern)s AS hit "
    "FROM w WHERE bytes_before < %(scan_bytes)s) "
    "(SELECT " + LISTED + ", false AS tail, 0::bigint AS scanned, false AS full FROM scan WHERE hit "
    "ORDER BY created_at DESC, run_id DESC LIMIT %(page)s) "
    "UNION ALL "
    "(SELECT " + LISTED + ", true, (SELECT count(*) FROM scan), "
    "(SELECT count(*) FROM w) >= %(limit)s OR (SELECT count(*) FROM w) > (SELECT count(*) FROM scan) "
    "FROM scan ORDER BY created_at, run_id LIMIT 1)"
)


@dataclass(frozen=True, slots=True)
class SearchedRunRow(ListedRunRow):
    """A row of SEARCH: a hit (`tail` false), or the window's tail with the runs `scanned` and
    whether the window was `full`."""

    tail: bool
    scanned: int
    full: bool


SEARCH_COLUMN = "input"

# Per status ({status}: its parameter), counted up to %(cap)s: bounded work at any table size, each
# count walks `runs_status_created` (or the index of another filter) and stops at the cap.
COUNT_BRANCH = (
    "SELECT {status}::text AS status, (SELECT count(*) FROM (SELECT 1 FROM runs WHERE status = {status} "
    "AND {where} LIMIT %(cap)s) AS c) AS matching"
)


@dataclass(frozen=True, slots=True)
class StatusCountRow:
    """A status and the runs of it matching the filters (COUNT_BRANCH: up to the cap)."""

    status: str
    matching: int


# With `q`: per status, the hits within the newest window (no cap needed), the runs searched and
# the runs of the SCAN_ROWS window (more than searched: the bytes ran out).
COUNTS_SEARCH = (
    "SELECT status, "
    "count(*) FILTER (WHERE CASE WHEN bytes_before < %(scan_bytes)s THEN input::text ILIKE %(pattern)s END) "
    "AS matching, count(*) FILTER (WHERE bytes_before < %(scan_bytes)s) AS searched, count(*) AS in_window "
    "FROM (SELECT status, input, " + BYTES_BEFORE + " AS bytes_before FROM runs WHERE {where} " + ORDER + " "
    "LIMIT %(scan_rows)s) AS w GROUP BY status"
)


@dataclass(frozen=True, slots=True)
class SearchCountRow(StatusCountRow):
    """COUNTS_SEARCH: a status, its hits, its runs searched and its runs in the SCAN_ROWS window."""

    searched: int
    in_window: int


# Runs named by id: which exist, and their status (bulk operations by runIds).
BY_IDS = "SELECT run_id, status FROM runs WHERE run_id = ANY(%s) ORDER BY run_id"


@dataclass(frozen=True, slots=True)
class RunStatusRow:
    """A run BY_IDS found, and its status."""

    run_id: UUID
    status: str
