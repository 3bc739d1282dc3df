"""Write a Plan inside the caller's transaction: one statement (or COPY) per kind of change."""

from datetime import UTC, datetime

import psycopg

from legato.engine.model import Plan
from legato.store import engine_sql


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def write_plan(cur: psycopg.Cursor[tuple[object, ...]], plan: Plan) -> None:
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
            ),
        )
    if plan.jobs:
        with cur.copy(engine_sql.COPY_JOBS) as copy:
            for j in plan.jobs:
                copy.write_row(
                    (
                        j.job_id,
                        j.run_id,
                        j.step_id,
                        j.attempt,
                        j.action,
                        j.topic,
                        j.payload,
                        "PENDING",
                        j.timeout_ms,
                        ms_to_datetime(j.not_before_ms),
                    )
                )
    if plan.runs:
        r = plan.runs
        cur.execute(
            engine_sql.UPDATE_RUNS,
            ([u.run_id for u in r], [u.status for u in r], [u.output for u in r], [u.error for u in r]),
        )
    if plan.events:
        with cur.copy(engine_sql.COPY_EVENTS) as copy:
            for e in plan.events:
                copy.write_row((e.run_id, e.type, e.step_id, e.attempt, e.data))
