"""The run list (newest first, keyset pages) and its counts per status."""

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

MAX_PAGE = 500
COUNT_CAP = 100_000  # a count stops here: bounded work however many runs match


def _run(r: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "runId": str(r[0]),
        "workflowId": r[1],
        "version": r[2],
        "status": r[3],
        "createdAt": iso(r[4]),
        "endedAt": iso(r[5]),
        "correlationId": r[6],
        "idempotencyKey": r[7],
        "error": None if r[3] != "FAILED" else {"stepId": r[8], "type": r[9], "message": r[10]},
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
            rows = conn.execute(page_query(f, after, False), {**values, "limit": limit + 1}).fetchall()
            page = rows[:limit]
            more = len(rows) > limit
            return {
                "runs": [_run(r) for r in page],
                "nextCursor": encode_cursor(page[-1][4], page[-1][0]) if more else None,
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
    full = tail is not None and bool(tail[-1])
    if len(hits) > limit:
        next_cursor: str | None = encode_cursor(page[-1][4], page[-1][0])
    elif tail is not None and full:  # older runs were not searched
        next_cursor = encode_cursor(tail[4], tail[0])
    else:
        next_cursor = None
    return {
        "runs": [_run(r) for r in page],
        "nextCursor": next_cursor,
        "searched": int(tail[-2]) if tail is not None else 0,
        "windowFull": full,
    }


def _searched(
    conn: psycopg.Connection[Any],
    f: RunFilter,
    after: tuple[datetime, UUID] | None,
    values: dict[str, Any],
    hits: int,
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """Up to `hits` runs of the search window matching `q`, newest first, and the window's tail
    row: (..., tail, runs searched, whether the window was full)."""
    query = sql.SQL(run_list_sql.SEARCH).format(scan=page_query(f, after, True))
    params = {**values, "limit": SCAN_ROWS, "scan_bytes": SCAN_BYTES, "page": hits}
    rows = conn.execute(query, params).fetchall()
    return [r for r in rows if not r[-3]], next((r for r in rows if r[-3]), None)


def counts(pool: ConnectionPool, f: RunFilter) -> dict[str, Any]:
    """Runs per status matching the filters (`f.statuses` ignored), each counted up to COUNT_CAP
    (`atLeast` names the statuses that reached it). With `q`, within the newest SCAN_ROWS runs
    matching the other filters that hold SCAN_BYTES of input (`searchWindow`, `searchWindowBytes`;
    `searched`, and `windowFull` when older runs were not searched)."""
    every = replace(f, statuses=STATUSES)
    values = {**params(every, None), "cap": COUNT_CAP, "scan_rows": SCAN_ROWS, "scan_bytes": SCAN_BYTES}
    if f.q:
        query: sql.Composed = sql.SQL(run_list_sql.COUNTS_SEARCH).format(where=where(every, None))
    else:
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL(run_list_sql.COUNT_BRANCH).format(status=status_param(n), where=where(every, None))
            for n in range(len(STATUSES))
        )
    with pool.connection() as conn:
        rows = conn.execute(query, values).fetchall()
    found = {r[0]: int(r[1]) for r in rows}
    out: dict[str, Any] = {"counts": {s: found.get(s, 0) for s in STATUSES}}
    if f.q:
        searched, window = sum(int(r[2]) for r in rows), sum(int(r[3]) for r in rows)
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
        rows = conn.execute(page_query(f, None, False), {**values, "limit": limit}).fetchall()
        return [r[0] for r in rows], False
    hits, tail = _searched(conn, f, None, values, limit)
    return [r[0] for r in hits], tail is not None and bool(tail[-1])
