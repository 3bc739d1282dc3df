"""The run list (newest first, keyset pages) and its counts per status."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from legato.runs.filters import (
    SCAN_BYTES,
    SCAN_ROWS,
    STATUSES,
    RunFilter,
    decode_cursor,
    encode_cursor,
    params,
    status_param,
    where,
)
from legato.runs.queries import iso
from legato.store import run_list_sql
from legato.store.rows import fetch_all

MAX_PAGE = 500
COUNT_CAP = 100_000  # a count stops here: bounded work however many runs match


def _run(r: run_list_sql.ListedRunRow) -> dict[str, Any]:
    error = {"stepId": r.error_step, "type": r.error_type, "message": r.error_message}
    return {
        "runId": str(r.run_id),
        "workflowId": r.workflow_id,
        "version": r.version,
        "status": r.status,
        "createdAt": iso(r.created_at),
        "endedAt": iso(r.ended_at),
        "correlationId": r.correlation_id,
        "idempotencyKey": r.idempotency_key,
        "error": error if r.status == "FAILED" else None,
        "scheduleId": r.schedule_id,
        "scheduledAt": iso(r.scheduled_at),
        "triggerId": r.trigger_id,
        "priority": r.priority,
    }


def page_query(f: RunFilter, after: tuple[datetime, UUID] | None, search: bool) -> sql.Composed:
    """Newest first, `%(limit)s` rows of the filters (with the input's text when `search`)."""
    columns = sql.SQL(run_list_sql.COLUMNS + (", " + run_list_sql.SEARCH_COLUMN if search else ""))
    if not by_status(f):
        return sql.SQL(run_list_sql.PAGE).format(columns=columns, where=where(f, after))
    branch = [
        sql.SQL(run_list_sql.BRANCH).format(columns=columns, status=status_param(n), where=where(f, after))
        for n in range(len(f.statuses or STATUSES))
    ]
    return sql.SQL(run_list_sql.PAGE_BY_STATUS).format(branches=sql.SQL(" UNION ALL ").join(branch))


def search_query(f: RunFilter, after: tuple[datetime, UUID] | None) -> sql.Composed:
    """The runs of the search window matching `q` (SEARCH over the page of `f`)."""
    return sql.SQL(run_list_sql.SEARCH).format(scan=page_query(f, after, True))


def count_query(f: RunFilter) -> sql.Composed:
    """The runs per status matching `f` (its statuses ignored): COUNTS_SEARCH with `q`, else one
    COUNT_BRANCH per status."""
    every = replace(f, statuses=STATUSES)
    if f.q:
        return sql.SQL(run_list_sql.COUNTS_SEARCH).format(where=where(every, None))
    return sql.SQL(" UNION ALL ").join(
        sql.SQL(run_list_sql.COUNT_BRANCH).format(status=status_param(n), where=where(every, None))
        for n in range(len(STATUSES))
    )


def by_status(f: RunFilter) -> bool:
    """A workflow's runs are read per status too (`runs_workflow_status_created`)."""
    return bool(f.statuses) or f.workflow_id is not None


def list_runs(pool: ConnectionPool, f: RunFilter, limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of runs. With `q`, only the newest SCAN_ROWS runs after the cursor that match the
    other filters, and of those as many as hold SCAN_BYTES of input, are searched (`searched`;
    `windowFull` when older runs were left): `nextCursor` then goes on from the last run looked
    at, so a rare text is found page by page, each page costing the same bounded work."""
    after = decode_cursor(cursor) if cursor else None
    values = params(f, after)
    with pool.connection() as conn:
        if not f.q:
            rows = fetch_all(
                conn, run_list_sql.ListedRunRow, page_query(f, after, False), {**values, "limit": limit + 1}
            )
            page = rows[:limit]
            more = len(rows) > limit
            return {
                "runs": [_run(r) for r in page],
                "nextCursor": encode_cursor(page[-1].created_at, page[-1].run_id) if more else None,
            }
        return _search(conn, f, after, values, limit)


def _search(
    conn: psycopg.Connection[Any],
    f: RunFilter,
    after: tuple[datetime, UUID] | None,
    values: dict[str, Any],
    limit: int,
) -> dict[str, Any]:
    hits, tail = _searched(conn, f, after, values, limit + 1)
    page = hits[:limit]
    full = tail is not None and tail.full
    if len(hits) > limit:
        next_cursor: str | None = encode_cursor(page[-1].created_at, page[-1].run_id)
    elif tail is not None and full:  # older runs were not searched
        next_cursor = encode_cursor(tail.created_at, tail.run_id)
    else:
        next_cursor = None
    return {
        "runs": [_run(r) for r in page],
        "nextCursor": next_cursor,
        "searched": tail.scanned if tail is not None else 0,
        "windowFull": full,
    }


def _searched(
    conn: psycopg.Connection[Any],
    f: RunFilter,
    after: tuple[datetime, UUID] | None,
    values: dict[str, Any],
    hits: int,
) -> tuple[list[run_list_sql.SearchedRunRow], run_list_sql.SearchedRunRow | None]:
    """Up to `hits` runs of the search window matching `q`, newest first, and the window's tail
    row: (..., tail, runs searched, whether the window was full)."""
    query = search_query(f, after)
    params = {**values, "limit": SCAN_ROWS, "scan_bytes": SCAN_BYTES, "page": hits}
    rows = fetch_all(conn, run_list_sql.SearchedRunRow, query, params)
    return [r for r in rows if not r.tail], next((r for r in rows if r.tail), None)


def counts(pool: ConnectionPool, f: RunFilter) -> dict[str, Any]:
    """Runs per status matching the filters (`f.statuses` ignored), each counted up to COUNT_CAP
    (`atLeast` names the statuses that reached it). With `q`, within the newest SCAN_ROWS runs
    matching the other filters that hold SCAN_BYTES of input (`searchWindow`, `searchWindowBytes`;
    `searched`, and `windowFull` when older runs were not searched)."""
    every = replace(f, statuses=STATUSES)
    values = {**params(every, None), "cap": COUNT_CAP, "scan_rows": SCAN_ROWS, "scan_bytes": SCAN_BYTES}
    query = count_query(f)
    with pool.connection() as conn:
        if f.q:  # with the runs searched and in the window
            searches = fetch_all(conn, run_list_sql.SearchCountRow, query, values)
            rows: Sequence[run_list_sql.StatusCountRow] = searches
        else:
            searches = []
            rows = fetch_all(conn, run_list_sql.StatusCountRow, query, values)
    found = {r.status: r.matching for r in rows}
    out: dict[str, Any] = {"counts": {s: found.get(s, 0) for s in STATUSES}}
    if f.q:
        searched, window = sum(r.searched for r in searches), sum(r.in_window for r in searches)
        out["searchWindow"], out["searchWindowBytes"] = SCAN_ROWS, SCAN_BYTES
        out["searched"], out["windowFull"] = searched, window >= SCAN_ROWS or window > searched
    else:
        out["atLeast"] = [s for s in STATUSES if found.get(s, 0) >= COUNT_CAP]
    return out


def matching_ids(conn: psycopg.Connection[Any], f: RunFilter, limit: int) -> tuple[list[UUID], bool]:
    """The ids of up to `limit` runs matching `f`, newest first (with `q`: within its window),
    and whether older runs were left unsearched (the window was full)."""
    values = params(f, None)
    if not f.q:
        rows = fetch_all(
            conn, run_list_sql.ListedRunRow, page_query(f, None, False), {**values, "limit": limit}
        )
        return [r.run_id for r in rows], False
    hits, tail = _searched(conn, f, None, values, limit)
    return [r.run_id for r in hits], tail is not None and tail.full
