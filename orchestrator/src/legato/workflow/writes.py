"""Write a Plan inside the caller's transaction: one set-based statement per kind of change.

Callers run this in psycopg pipeline mode, so the statements travel to PostgreSQL together.
"""

from datetime import UTC, datetime
from typing import Any

import psycopg

from legato.store import attempts_sql, engine_sql
from legato.store.engine_sql import StartByRow
from legato.store.rows import fetch_all
from legato.workflow.limits import hold_limited
from legato.workflow.model import Event, Plan


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def write_plan(cur: psycopg.Cursor[Any], plan: Plan) -> None:
    """Write `plan`, but not its events: the caller writes those with write_events, once for all
    the plans of its transaction (workflow.settle)."""
    if plan.steps:
        s = plan.steps
        cur.execute(
            engine_sql.UPDATE_STEPS,
            (
                [u.run_id for u in s],
                [u.step_id for u in s],
                [u.status for u in s],
                [u.attempts for u in s],
                [u.input for u in s],
                [u.output for u in s],
                [u.error for u in s],
                [u.started for u in s],
                [u.ended for u in s],
                [None if u.wake_at_ms is None else ms_to_datetime(u.wake_at_ms) for u in s],
                [u.wake_in_ms for u in s],
                [u.items for u in s],
            ),
        )
    if plan.items:
        n = plan.items
        cur.execute(
            engine_sql.INSERT_ITEMS,
            (
                [x.run_id for x in n],
                [x.step_id for x in n],
                [x.item_index for x in n],
                [x.status for x in n],
                [x.attempts for x in n],
                [x.input for x in n],
            ),
        )
    if plan.item_updates:
        i = plan.item_updates
        cur.execute(
            engine_sql.UPDATE_ITEMS,
            (
                [x.run_id for x in i],
                [x.step_id for x in i],
                [x.item_index for x in i],
                [x.status for x in i],
                [x.attempts for x in i],
                [x.output for x in i],
                [x.error for x in i],
            ),
        )
    if plan.jobs:
        j = plan.jobs
        hold_limited(cur, j)
        start_by = any(x.schedule_to_start_ms is not None for x in j)
        jobs = (
            [x.job_id for x in j],
            [x.run_id for x in j],
            [x.step_id for x in j],
            [x.attempt for x in j],
            [x.action for x in j],
            [x.topic for x in j],
            [x.payload for x in j],
            [x.timeout_ms for x in j],
            [x.delay_ms for x in j],
            [x.item_index for x in j],
            [x.schedule_to_start_ms for x in j],
            [x.heartbeat_ms for x in j],
            [x.details for x in j],
            [x.requeues for x in j],
            [x.limited for x in j],
        )
        if start_by:  # the records of these jobs carry the start-by times the database set
            written = fetch_all(cur, StartByRow, engine_sql.INSERT_JOBS_RETURNING_START_BY, jobs)
            times = {w.job_id: w.start_by_ms for w in written}
            for x in j:
                x.start_by_ms = times.get(x.job_id)
        else:
            cur.execute(engine_sql.INSERT_JOBS, jobs)
    if plan.runs:
        r = plan.runs
        cur.execute(
            engine_sql.UPDATE_RUNS,
            ([u.run_id for u in r], [u.status for u in r], [u.output for u in r], [u.error for u in r]),
        )
        failed = [u.run_id for u in r if u.status == "FAILED"]
        if failed:  # a failed run stops: open steps closed, its attempts closed and withdrawn
            cur.execute(engine_sql.CLOSE_RUN_STEPS, (failed,))
            cur.execute(attempts_sql.WITHDRAW_RUN_JOBS, (failed, "RunEnded", "the run failed"))
    if plan.withdrawals:
        w = plan.withdrawals
        cur.execute(
            attempts_sql.WITHDRAW_JOBS,
            ([x.job_id for x in w], [x.reason for x in w], [x.message for x in w]),
        )


def write_events(cur: psycopg.Cursor[Any], events: list[Event]) -> None:
    """Append `events` to their runs' histories, in this order."""
    if events:
        cur.execute(
            engine_sql.INSERT_EVENTS,
            (
                [x.run_id for x in events],
                [x.type for x in events],
                [x.step_id for x in events],
                [x.attempt for x in events],
                [x.data for x in events],
            ),
        )
