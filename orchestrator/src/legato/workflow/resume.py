"""Re-opening a run from where it stopped: retry, DLT replay, bulk retry and the engine's reconcile.

Every path that makes a stopped (or stuck) run go again comes here, so what runs again is decided in
one place: completed and skipped steps keep their outputs, every other step starts a new generation.
The caller holds the run's row lock (lock order: the run first), inside its own transaction.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import psycopg

from legato.auth import actor
from legato.definitions import Definition
from legato.store import attempts_sql, engine_sql, join_sql, signals_sql
from legato.store import operations_sql as sql
from legato.store.join_sql import NextItemRow, RunIdRow
from legato.store.rows import fetch_all, fetch_one
from legato.workflow import signals, starts
from legato.workflow.model import Plan, RunRef
from legato.workflow.settle import settle, start_ready
from legato.workflow.transitions import Planner

DONE = frozenset({"COMPLETED", "SKIPPED"})
STUCK_BATCH = 50


class WrongState(Exception):
    """The run is in a state this operation does not apply to (HTTP 409)."""


@dataclass(frozen=True, slots=True)
class RetryPlan:
    pending_deps: dict[str, int]  # every step that runs again -> its dependencies not yet done
    ready: tuple[str, ...]  # those that can start at once
    open_sinks: int


def plan_retry(definition: Definition, states: dict[str, str]) -> RetryPlan:
    """Keep completed and skipped steps (and their outputs); everything else runs again."""
    again = [s for s in definition.steps if states.get(s.id) not in DONE]
    pending = {s.id: sum(states.get(d) not in DONE for d in s.depends_on) for s in again}
    return RetryPlan(
        pending_deps=pending,
        ready=tuple(s for s, n in pending.items() if n == 0),
        open_sinks=sum(states.get(s) not in DONE for s in definition.sinks),
    )


def record_event(cur: psycopg.Cursor[Any], run_id: UUID, kind: str, data: dict[str, Any]) -> None:
    """An operation's event, with who asked for it (the API key's name) when a request did."""
    by = actor.current.get()
    cur.execute(sql.INSERT_EVENT, (run_id, kind, orjson.dumps({**data, "by": by} if by else data).decode()))


def resume(
    cur: psycopg.Cursor[Any],
    lookup: Callable[[str, int], Definition],
    jobs_prefix: str,
    run: RunRef,
    event: str,
    event_data: dict[str, Any] | None = None,
    overrides: dict[str, str] | None = None,
    item_overrides: dict[tuple[str, int], str] | None = None,
) -> list[str]:
    """Re-open a run from where it stopped; the caller holds the run's lock (lock order: run first).

    Every attempt still open is closed; completed and skipped steps keep their outputs; every other
    step (failed, dead-lettered, cancelled siblings, never started) starts a new generation and runs
    again as its dependencies allow; a map whose dependencies are unchanged keeps its completed
    items and re-runs the others at `maxParallel`. `overrides` replace a step's rendered input (JSON
    text), `item_overrides` a map item's. Returns the steps that run again."""
    run_id = run.run_id
    definition = lookup(run.workflow_id, run.version)
    cur.execute(attempts_sql.WITHDRAW_RUN_JOBS, ([run_id], "Superseded", f"the run was re-opened ({event})"))
    states = {r.step_id: r.status for r in fetch_all(cur, sql.StepStateRow, sql.STEP_STATES, (run_id,))}
    plan = plan_retry(definition, states)
    mapped = {r.step_id for r in fetch_all(cur, sql.MappedStepRow, sql.MAPPED_STEPS, (run_id,))}
    mapped &= set(plan.pending_deps)
    resumed = sorted(mapped & set(plan.ready))
    cur.execute(sql.REOPEN_RUN, (plan.open_sinks, run_id))
    again = list(plan.pending_deps)
    cur.execute(sql.RESET_STEPS, (again, [plan.pending_deps[s] for s in again], run_id))
    if mapped - set(resumed):
        cur.execute(sql.DELETE_ITEMS, (run_id, sorted(mapped - set(resumed))))
    record_event(cur, run_id, event, {"steps": again, **(event_data or {})})
    planner = Planner(jobs_prefix, int(time.time() * 1000), grace_ms=0)  # the relay's at once
    if resumed:
        cur.execute(sql.RESET_ITEMS, (run_id, resumed))
        for (step_id, index), text in (item_overrides or {}).items():
            cur.execute(sql.SET_ITEM_INPUT, (text, run_id, step_id, index))
        maps = fetch_all(cur, sql.ResumedMapRow, sql.RESUME_MAPS, (run_id, resumed))
        _resume_maps(cur, planner, run, definition, {m.step_id: m.items_open for m in maps})
    fresh = [(run, s) for s in plan.ready if s not in resumed]
    if fresh:
        start_ready(cur, planner, fresh, lookup, overrides=overrides)
    settle(cur, planner.plan, lookup, jobs_prefix, grace_ms=0)
    cur.execute(engine_sql.NOTIFY_JOBS)
    cur.execute(engine_sql.NOTIFY_WITHDRAWALS)  # the attempts it superseded
    return again


def requeue_item(
    cur: psycopg.Cursor[Any],
    lookup: Callable[[str, int], Definition],
    jobs_prefix: str,
    run: RunRef,
    step_id: str,
    index: int,
    payload: str | None,
) -> bool:
    """A dead item of a map that is still running (`onItemFailure: continue`) goes again, as a new
    generation, when the map has a free slot. False when the map is no longer running."""
    cur.execute(sql.REQUEUE_ITEM, (payload, run.run_id, step_id, index))
    if cur.rowcount == 0:
        return False
    slot = fetch_one(cur, sql.ItemSlotRow, sql.REOPEN_ITEM_SLOT, (run.run_id, step_id))
    if slot is None:
        raise WrongState(f"step {step_id} of run {run.run_id} is no longer running")
    step = lookup(run.workflow_id, run.version).by_id[step_id]
    if slot.running < step.max_parallel:
        planner = Planner(jobs_prefix, int(time.time() * 1000), grace_ms=0)
        for i in fetch_all(cur, NextItemRow, join_sql.NEXT_ITEMS, ([run.run_id], [step_id], [1])):
            planner.new_job(run, step, 1, i.input, item_index=i.item_index)
        settle(cur, planner.plan, lookup, jobs_prefix, grace_ms=0)
        cur.execute(engine_sql.NOTIFY_JOBS)
    return True


def resume_stuck(
    cur: psycopg.Cursor[Any], lookup: Callable[[str, int], Definition], jobs_prefix: str, min_age_ms: int
) -> list[UUID]:
    """Find RUNNING runs with nothing queued, running or waiting, report and resume them."""
    rows = fetch_all(cur, sql.StuckRunRow, sql.STUCK_RUNS, (min_age_ms, STUCK_BATCH))
    stuck = [RunRef(r.run_id, r.workflow_id, r.version, r.correlation_id) for r in rows]
    for run in stuck:
        resume(cur, lookup, jobs_prefix, run, "RUN_RESUMED", {"reason": "nothing queued, running or waiting"})
    return [r.run_id for r in stuck]


def _resume_maps(
    cur: psycopg.Cursor[Any],
    planner: Planner,
    run: RunRef,
    definition: Definition,
    open_items: dict[str, int],
) -> None:
    """Dispatch up to maxParallel of each map's remaining items; a map with none left completes."""
    done = sorted(s for s, n in open_items.items() if n == 0)
    if done:
        cur.execute(join_sql.FINISH_MAPS, ([run.run_id] * len(done), done))
        for step_id in done:
            starts.map_completed(planner, run, step_id, 0)
    todo = sorted(s for s, n in open_items.items() if n > 0)
    if todo:
        limits = [definition.by_id[s].max_parallel for s in todo]
        for i in fetch_all(cur, NextItemRow, join_sql.NEXT_ITEMS, ([run.run_id] * len(todo), todo, limits)):
            planner.new_job(run, definition.by_id[i.step_id], 1, i.input, item_index=i.item_index)


def deliver_queued(
    cur: psycopg.Cursor[Any], lookup: Callable[[str, int], Definition], jobs_prefix: str
) -> Plan:
    """The safety net for signals: queued signals a waiting step could take, in runs nobody holds,
    handed over, and what that leads to settled (`ended`: the steps that took one). Every path
    that makes a match possible delivers at once (workflow.signals); this finds what a bug or a
    hand-edited row left behind."""
    runs = [r.run_id for r in fetch_all(cur, RunIdRow, signals_sql.LOCK_DELIVERABLE_RUNS, (STUCK_BATCH,))]
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    signals.deliver(cur, planner, runs)
    ended = planner.plan.ended
    if not ended:
        return planner.plan
    total = settle(cur, planner.plan, lookup, jobs_prefix)
    total.ended = ended
    return total
