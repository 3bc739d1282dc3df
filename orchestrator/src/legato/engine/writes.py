"""Write a Plan inside the caller's transaction: one set-based statement per kind of change.

Callers run this in psycopg pipeline mode, so the statements travel to PostgreSQL together.
"""

from typing import Any

import psycopg

from legato.engine.model import Plan
from legato.store import engine_sql


def write_plan(cur: psycopg.Cursor[Any], plan: Plan) -> None:
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
        j = plan.jobs
        cur.execute(
            engine_sql.INSERT_JOBS,
            (
                [x.job_id for x in j],
                [x.run_id for x in j],
                [x.step_id for x in j],
                [x.attempt for x in j],
                [x.action for x in j],
                [x.topic for x in j],
                [x.payload for x in j],
                [x.timeout_ms for x in j],
                [x.not_before_ms for x in j],
            ),
        )
    if plan.runs:
        r = plan.runs
        cur.execute(
            engine_sql.UPDATE_RUNS,
            ([u.run_id for u in r], [u.status for u in r], [u.output for u in r], [u.error for u in r]),
        )
    if plan.events:
        e = plan.events
        cur.execute(
            engine_sql.INSERT_EVENTS,
            (
                [x.run_id for x in e],
                [x.type for x in e],
                [x.step_id for x in e],
                [x.attempt for x in e],
                [x.data for x in e],
            ),
        )
