"""The durable clock's decisions: attempts past their deadline end TIMED_OUT, due waits fire."""

import time
from collections.abc import Callable, Sequence
from uuid import UUID

from legato.definitions import Definition
from legato.store import engine_sql, join_sql
from legato.store.attempts_sql import UNREPORTED
from legato.store.engine_sql import LockedRunRow, TimeoutClaimRow
from legato.store.join_sql import TimerRow
from legato.store.rows import fetch_all
from legato.workflow import children, signals
from legato.workflow.claims import Cursor, claimed_from_row, plan_outcomes
from legato.workflow.model import Plan, RunRef, Withdrawal
from legato.workflow.outcomes import Outcomes
from legato.workflow.starts import timer_fired
from legato.workflow.transitions import Planner

BATCH = 500
OPEN = ("RUNNING", "PAUSED")  # a paused run still takes its running attempts' outcomes


def claim_timeouts(
    cur: Cursor,
    lookup: Callable[[str, int], Definition],
    jobs_prefix: str,
    outcomes: Outcomes | None = None,
    held_ms: int = 0,
    lost: Sequence[UUID] = (),
    max_requeues: int = 0,
) -> Plan:
    """Attempts past their deadline (by `held_ms` at least, see engine.caught_up) end TIMED_OUT
    (recorded in `outcomes`, once committed). Backstop deadlines are claimed only for `lost` jobs.

    One that never started (ScheduleToStart, or lost) is queued again without using an attempt,
    `max_requeues` times at most. An expired ScheduleToStart copy is not withdrawn: no worker starts
    it past its start-by time, and one whose clock is behind and starts it anyway wins if its
    replacement has not started (attempts_sql.REVIVE_LATE_STARTS)."""
    outcomes = Outcomes() if outcomes is None else outcomes
    due = {"held_ms": held_ms, "lost": list(lost), "limit": BATCH}
    runs = [r.run_id for r in fetch_all(cur, LockedRunRow, engine_sql.LOCK_TIMED_OUT_RUNS, due)]
    claimed = []
    rows = fetch_all(cur, TimeoutClaimRow, engine_sql.CLAIM_TIMEOUTS, {**due, "runs": runs}) if runs else []
    withdrawals = []
    for row in rows:
        kind = row.deadline_kind or "StartToClose"
        outcomes.timed_out(row.action, kind)
        error_type, message = _timed_out(kind, row)
        if kind != "ScheduleToStart":
            withdrawals.append(Withdrawal(row.job_id, error_type, message))
        if row.status not in OPEN or not row.current:
            continue  # the run ended, or a retry moved on: the attempt is simply closed
        c = claimed_from_row(row, "TIMED_OUT")
        c.requeue = kind in ("ScheduleToStart", UNREPORTED) and c.requeues < max_requeues
        c.failure = {"type": error_type, "message": message, "nonRetryable": False}
        claimed.append(c)
    plan = plan_outcomes(claimed, lookup, jobs_prefix)
    outcomes.decided(claimed, plan.dead_letters)
    plan.withdrawals += withdrawals
    return plan


def _timed_out(kind: str, row: TimeoutClaimRow) -> tuple[str, str]:
    """The error type (also the Cancel reason) and message of an attempt whose deadline passed."""
    if kind == "ScheduleToStart":
        return (
            "ScheduleToStartTimeout",
            f"no worker started attempt {row.attempt} within scheduleToStartSeconds "
            f"({_s(row.schedule_to_start_ms)} s) of queueing it; queued again, no execution attempt was used",
        )
    if kind == UNREPORTED:
        return (
            "UnreportedTimeout",
            f"attempt {row.attempt} was consumed by a worker that never reported on it (no start, heartbeat "
            "or result the orchestrator could read); queued again",
        )
    if kind == "Heartbeat":
        return (
            "HeartbeatTimeout",
            f"attempt {row.attempt} sent no heartbeat for heartbeatSeconds ({_s(row.heartbeat_ms)} s)",
        )
    return (
        "StartToCloseTimeout",
        f"attempt {row.attempt} ran longer than startToCloseSeconds ({_s(row.timeout_ms)} s)",
    )


def _s(ms: int | None) -> str:
    """A duration in ms, in seconds (a deadline of its kind has it set)."""
    return f"{(ms or 0) / 1000:g}"


def fire_timers(cur: Cursor, plan: Plan, lookup: Callable[[str, int], Definition], jobs_prefix: str) -> None:
    """Timers whose time has come, in runs that are not paused: waits complete in SQL, signal waits
    time out (workflow.signals), signal waits and child runs start again after their retry delay
    (workflow.children); workflow.settle then follows what they lead to."""
    runs = [r.run_id for r in fetch_all(cur, LockedRunRow, join_sql.LOCK_TIMER_RUNS, {"limit": BATCH})]
    if not runs:
        return
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    for t in fetch_all(cur, TimerRow, join_sql.FIRE_TIMERS, (runs,)):
        if t.status == "RUNNING":
            run = RunRef(t.run_id, t.workflow_id, t.version, t.correlation_id, t.trace_context)
            timer_fired(planner, run, t.step_id)
    signals.time_out(cur, planner, runs, lookup)
    children.restart(cur, planner, runs, lookup)
    plan.extend(planner.plan)
    plan.ended += planner.plan.ended
