"""Cancel, retry, pause or resume many runs: named by id, or every run matching a filter (up to a
limit).

Work goes in batches, one transaction each, so no transaction holds thousands of run locks while
the engine waits. A batch locks its runs (run_id order), re-reads their status under the lock and
changes only those the operation still applies to; each changed run gets the event the single-run
operation writes (`RUN_CANCELLED`, `RUN_RETRIED`), marked `"bulk": true`.

Cancel is set-based: one statement per table for the whole batch. Retry re-opens each run with
`workflow.resume.resume`, the code a single retry runs: what runs again depends on each run's graph
and step states (maps, waits, rendered inputs), so the batch shares the transaction and the locks,
and each run is planned on its own, as one retry would be.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.auth import actor
from legato.definitions.registry import DefinitionRegistry
from legato.runs.filters import RunFilter
from legato.runs.listing import matching_ids
from legato.store import bulk_sql, engine_sql, operations_sql, run_list_sql
from legato.store.rows import fetch_all
from legato.workflow import pause as paused
from legato.workflow.model import RunRef
from legato.workflow.resume import resume as reopen

CANCELLABLE = ("PENDING", "RUNNING", "PAUSED")
RETRYABLE = ("FAILED",)
PAUSABLE = ("RUNNING",)
RESUMABLE = ("PAUSED",)
CANCEL_BATCH = 500
RETRY_BATCH = 50
SHOWN_IDS = 100
DEADLOCK_TRIES = 3


@dataclass(frozen=True, slots=True)
class Selection:
    run_ids: list[UUID] | None  # the runs named, or
    filter: RunFilter | None  # every run matching (newest first)
    limit: int


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    matched: int
    changed: int
    dry_run: bool
    run_ids: list[UUID]
    more: bool  # the filter matches more runs than the limit, or its search stopped at its window

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "changed": self.changed,
            "dryRun": self.dry_run,
            "runIds": [str(r) for r in self.run_ids[:SHOWN_IDS]],
            "more": self.more,
        }


Apply = Callable[[psycopg.Cursor[Any], list[UUID]], list[UUID]]


def cancel(pool: ConnectionPool, selection: Selection, dry_run: bool) -> BulkOutcome:
    outcome = _run(pool, selection, CANCELLABLE, dry_run, _cancel_batch, CANCEL_BATCH)
    if not dry_run and outcome.run_ids:
        with pool.connection() as conn:
            rows = fetch_all(conn, bulk_sql.WorkflowRunsRow, bulk_sql.WORKFLOWS_OF_RUNS, (outcome.run_ids,))
        metrics.count(metrics.RUNS_FINISHED, Counter({(r.workflow_id, "CANCELLED"): r.runs for r in rows}))
    return outcome


def retry(
    pool: ConnectionPool,
    registry: DefinitionRegistry,
    jobs_prefix: str,
    selection: Selection,
    dry_run: bool,
) -> BulkOutcome:
    def apply(cur: psycopg.Cursor[Any], ids: list[UUID]) -> list[UUID]:
        return _retry_batch(cur, registry, jobs_prefix, ids)

    return _run(pool, selection, RETRYABLE, dry_run, apply, RETRY_BATCH)


def pause(pool: ConnectionPool, selection: Selection, dry_run: bool) -> BulkOutcome:
    return _run(pool, selection, PAUSABLE, dry_run, _pause_batch, CANCEL_BATCH)


def resume(
    pool: ConnectionPool,
    registry: DefinitionRegistry,
    jobs_prefix: str,
    selection: Selection,
    dry_run: bool,
) -> BulkOutcome:
    def apply(cur: psycopg.Cursor[Any], ids: list[UUID]) -> list[UUID]:
        locked = fetch_all(cur, bulk_sql.BatchRunRow, bulk_sql.LOCK_RUNS, (ids, list(RESUMABLE)))
        for r in locked:
            run = RunRef(r.run_id, r.workflow_id, r.version, r.correlation_id)
            paused.unpause(cur, registry.get, jobs_prefix, run, bulk=True)
        return [r.run_id for r in locked]

    return _run(pool, selection, RESUMABLE, dry_run, apply, RETRY_BATCH)


def _pause_batch(cur: psycopg.Cursor[Any], ids: list[UUID]) -> list[UUID]:
    locked = [
        r.run_id for r in fetch_all(cur, bulk_sql.BatchRunRow, bulk_sql.LOCK_RUNS, (ids, list(PAUSABLE)))
    ]
    if locked:
        cur.execute(operations_sql.SET_RUN_STATUS, ("PAUSED", locked))
        _events(cur, "RUN_PAUSED", {r: {"bulk": True} for r in locked})
    return locked


def _run(
    pool: ConnectionPool,
    selection: Selection,
    applies_to: tuple[str, ...],
    dry_run: bool,
    apply: Apply,
    batch: int,
) -> BulkOutcome:
    matched, targets, more = _select(pool, selection, applies_to)
    if dry_run:
        return BulkOutcome(matched, len(targets), True, targets, more)
    changed: list[UUID] = []
    for start in range(0, len(targets), batch):
        changed += _batch(pool, targets[start : start + batch], apply)
    return BulkOutcome(matched, len(changed), False, changed, more)


def _select(
    pool: ConnectionPool, selection: Selection, applies_to: tuple[str, ...]
) -> tuple[int, list[UUID], bool]:
    """(runs matched, those the operation applies to now, whether the filter matches more or
    may: a `q` search that stopped at its window left older runs unsearched)."""
    with pool.connection() as conn:
        if selection.run_ids is not None:
            rows = fetch_all(conn, run_list_sql.RunStatusRow, run_list_sql.BY_IDS, (selection.run_ids,))
            return len(rows), [r.run_id for r in rows if r.status in applies_to], False
        assert selection.filter is not None
        narrowed = selection.filter.only(applies_to)
        if narrowed is None:
            return 0, [], False
        ids, unsearched = matching_ids(conn, narrowed, selection.limit + 1)
    more = len(ids) > selection.limit or unsearched
    return min(len(ids), selection.limit), ids[: selection.limit], more


def _batch(pool: ConnectionPool, ids: list[UUID], apply: Apply) -> list[UUID]:
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                return apply(cur, ids)
        except psycopg.errors.DeadlockDetected:
            if attempt == DEADLOCK_TRIES:
                raise
    raise AssertionError("unreachable")


def _events(cur: psycopg.Cursor[Any], kind: str, data: dict[UUID, dict[str, Any]]) -> None:
    """One event per run, with who asked (the API key's name) when a request did."""
    by = actor.current.get()
    ids = list(data)
    texts = [orjson.dumps({**data[r], "by": by} if by else data[r]).decode() for r in ids]
    cur.execute(bulk_sql.INSERT_EVENTS, (kind, ids, texts))


def _cancel_batch(cur: psycopg.Cursor[Any], ids: list[UUID]) -> list[UUID]:
    return cancel_batch(cur, ids, {"bulk": True})


def cancel_batch(cur: psycopg.Cursor[Any], ids: list[UUID], marks: dict[str, Any]) -> list[UUID]:
    """Cancel the runs of `ids` still cancellable (locked here, in run_id order); each one's
    RUN_CANCELLED event carries `marks`. Answers the runs cancelled."""
    previous = {
        r.run_id: r.status
        for r in fetch_all(cur, bulk_sql.BatchRunRow, bulk_sql.LOCK_RUNS, (ids, list(CANCELLABLE)))
    }
    locked = list(previous)
    if not locked:
        return []
    cur.execute(bulk_sql.CANCEL_RUNS, (locked,))
    steps = Counter(
        r.run_id for r in fetch_all(cur, bulk_sql.CancelledStepRow, bulk_sql.CANCEL_STEPS, (locked,))
    )
    cur.execute(bulk_sql.CANCEL_ITEMS, (locked,))
    jobs = {
        r.run_id: r.jobs for r in fetch_all(cur, bulk_sql.WithdrawnJobsRow, bulk_sql.WITHDRAW_JOBS, (locked,))
    }
    _events(
        cur,
        "RUN_CANCELLED",
        {
            r: {"previousStatus": previous[r], "steps": steps[r], "jobs": jobs.get(r, 0), **marks}
            for r in locked
        },
    )
    cur.execute(engine_sql.NOTIFY_WITHDRAWALS)  # the engine publishes the withdrawals at once
    return locked


def _retry_batch(
    cur: psycopg.Cursor[Any], registry: DefinitionRegistry, jobs_prefix: str, ids: list[UUID]
) -> list[UUID]:
    locked = fetch_all(cur, bulk_sql.BatchRunRow, bulk_sql.LOCK_RUNS, (ids, list(RETRYABLE)))
    runs = [RunRef(r.run_id, r.workflow_id, r.version, r.correlation_id) for r in locked]
    for run in runs:
        reopen(cur, registry.get, jobs_prefix, run, "RUN_RETRIED", {"bulk": True})
    return [r.run_id for r in runs]
