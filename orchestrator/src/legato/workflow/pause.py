"""Pause and resume a run; the caller holds the run's lock (lock order: the run first).

A paused run (status PAUSED) dispatches no new job, fires no timer, takes no signal and starts no
child run. What is already running goes on: results are applied and can make steps ready, whose
jobs wait in the outbox (the relay skips paused runs) and whose child runs wait unstarted.
Resuming lets all of that go at once: held jobs are published, held children start, queued
signals are taken, and timers that came due meanwhile fire on the engine's next tick (woken now).
"""

import time
from collections.abc import Callable
from typing import Any

import psycopg

from legato.definitions import Definition
from legato.store import children_sql, engine_sql
from legato.store import operations_sql as sql
from legato.store.children_sql import HeldStepRow
from legato.store.rows import fetch_all
from legato.workflow import signals
from legato.workflow.model import Plan, RunRef
from legato.workflow.resume import record_event
from legato.workflow.settle import settle, start_ready
from legato.workflow.transitions import Planner

Cursor = psycopg.Cursor[Any]


def pause(cur: Cursor, run: RunRef, bulk: bool = False) -> None:
    cur.execute(sql.SET_RUN_STATUS, ("PAUSED", [run.run_id]))
    record_event(cur, run.run_id, "RUN_PAUSED", {"bulk": True} if bulk else {})


def unpause(
    cur: Cursor, lookup: Callable[[str, int], Definition], jobs_prefix: str, run: RunRef, bulk: bool = False
) -> Plan:
    """Resume a paused run; returns what that settled (children started, the run if it ended)."""
    cur.execute(sql.SET_RUN_STATUS, ("RUNNING", [run.run_id]))
    held = [r.step_id for r in fetch_all(cur, HeldStepRow, children_sql.HELD_STEPS, (run.run_id,))]
    data: dict[str, Any] = {"heldSteps": held}
    if bulk:
        data["bulk"] = True
    record_event(cur, run.run_id, "RUN_RESUMED", data)
    planner = Planner(jobs_prefix, int(time.time() * 1000), grace_ms=0)  # the relay's at once
    if held:
        start_ready(cur, planner, [(run, s) for s in held], lookup)
    signals.deliver(cur, planner, [run.run_id])
    settled = settle(cur, planner.plan, lookup, jobs_prefix, grace_ms=0)
    cur.execute(engine_sql.NOTIFY_JOBS)  # its held jobs
    cur.execute(engine_sql.NOTIFY_WAKE)  # its timers that came due
    return settled
