"""The durable clock: attempts past their deadline fail, due waits fire, due jobs (retries) get published."""

import time
from collections.abc import Callable

from legato.definitions import Definition
from legato.engine.batch import Cursor, claimed_from_row, plan_outcomes
from legato.engine.model import NewJob, Plan, RunRef
from legato.engine.starts import timer_fired
from legato.engine.transitions import Planner
from legato.kafka.clients import HANDOVER_MS
from legato.store import engine_sql, join_sql

BATCH = 500


def claim_timeouts(cur: Cursor, lookup: Callable[[str, int], Definition], jobs_prefix: str) -> Plan:
    cur.execute(engine_sql.LOCK_TIMED_OUT_RUNS, (BATCH,))
    runs = [r[0] for r in cur.fetchall()]
    claimed = []
    if runs:
        cur.execute(engine_sql.CLAIM_TIMEOUTS, (runs,))
        rows = cur.fetchall()
    else:
        rows = []
    for row in rows:
        if row[12] != "RUNNING" or not row[14]:
            continue  # the run ended, or a retry moved on: the attempt is simply closed
        c = claimed_from_row(row, "TIMED_OUT")
        c.item_index = row[13]
        c.failure = {
            "type": "Timeout",
            "message": f"no result within {row[11] / 1000:g} s",
            "nonRetryable": False,
        }
        claimed.append(c)
    plan = plan_outcomes(claimed, lookup, jobs_prefix)
    _fire_timers(cur, plan, jobs_prefix)
    return plan


def _fire_timers(cur: Cursor, plan: Plan, jobs_prefix: str) -> None:
    """Waits whose time has come complete in SQL; engine.settle then starts their dependants."""
    cur.execute(join_sql.LOCK_TIMER_RUNS, (BATCH,))
    runs = [r[0] for r in cur.fetchall()]
    if not runs:
        return
    cur.execute(join_sql.FIRE_TIMERS, (runs,))
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    for run_id, step_id, workflow_id, version, correlation_id, status in cur.fetchall():
        if status == "RUNNING":
            timer_fired(planner, RunRef(run_id, workflow_id, version, correlation_id), step_id)
    plan.extend(planner.plan)
    plan.ended += planner.plan.ended


def lease_due_jobs(cur: Cursor) -> list[NewJob]:
    """Jobs to publish now; jobs of runs that ended are closed instead."""
    cur.execute(engine_sql.LEASE_DUE_JOBS, (HANDOVER_MS, BATCH))
    due: list[NewJob] = []
    dead = []
    for r in cur.fetchall():
        if r[11] != "RUNNING":
            dead.append(r[0])
            continue
        due.append(
            NewJob(
                job_id=r[0],
                run_id=r[1],
                step_id=r[2],
                attempt=r[3],
                action=r[4],
                topic=r[5],
                payload=r[6],
                timeout_ms=r[7],
                delay_ms=0,
                workflow_id=r[8],
                version=r[9],
                correlation_id=r[10],
                immediate=False,
            )
        )
    if dead:
        cur.execute(engine_sql.CANCEL_JOBS, (dead,))
    return due
