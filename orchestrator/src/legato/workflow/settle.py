"""Follow a Plan's consequences inside its transaction: joins, map progress, run completion.

`settle` writes a plan, then asks PostgreSQL (set-based, for the whole batch at once) what the
steps that just ended and the map items that just completed make happen:
- dependants whose `pending_deps` reached 0 (UPDATE ... RETURNING) are ready: only the outputs
  they need are read, and workflow.starts decides what each one does;
- a map whose `items_open` reached 0 completes (its outputs gathered in SQL); otherwise each
  completed item lets the next PENDING item go (at most `maxParallel` in flight);
- a run whose last open sink ended completes with its sinks' outputs.
What that decides (skipped steps, empty maps) can end more steps, so settle repeats until a
round ends nothing; the rounds are bounded by the graph's depth. Nothing is read per result.
The first round's count-down may have been sent ahead, with the batch's claim (workflow.countdown).
"""

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import orjson
import psycopg

from legato.definitions import Definition
from legato.store import join_sql
from legato.store.join_sql import (
    InputRow,
    MapCountRow,
    NextItemRow,
    RunIdRow,
    StepRow,
)
from legato.store.rows import fetch_all
from legato.workflow import children, signals, starts
from legato.workflow.countdown import Countdown, close_sinks, decrement_deps, ended_counts
from legato.workflow.model import Ended, Plan, RunRef
from legato.workflow.transitions import OWNERSHIP_GRACE_MS, Planner
from legato.workflow.writes import write_events, write_plan

Cursor = psycopg.Cursor[Any]
Lookup = Callable[[str, int], Definition]


def _load(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def settle(
    cur: Cursor,
    plan: Plan,
    lookup: Lookup,
    jobs_prefix: str,
    grace_ms: int = OWNERSHIP_GRACE_MS,
    statuses: Mapping[UUID, str] | None = None,
    countdown: Countdown | None = None,
) -> Plan:
    """Write `plan` and everything it leads to; returns all of it (jobs to publish, runs ended).

    `grace_ms`: how long the jobs it leads to are the caller's to publish (transitions.Planner); 0
    for a caller that does not publish after its commit (the API, operations): the relay does, at once.
    `statuses`: the status of runs the caller locked (read in one of its own statements), so that
    whether they are paused is not asked again.
    `countdown`: the first round's count-down, sent ahead (used if `plan` confirms it, else given back)."""
    if countdown is not None and not countdown.confirmed(plan, lookup):
        countdown.give_back(cur)
        countdown = None
    total = Plan()
    current = plan
    while True:
        write_plan(cur, current)  # its events: all rounds' in one statement, at the end
        total.extend(current)
        if not (current.ended or current.items_done or current.children or current.signal_waits):
            break
        planner = Planner(jobs_prefix, int(time.time() * 1000), grace_ms)
        children.start_children(cur, planner, current.children, lookup)
        signals.deliver(cur, planner, [r.run_id for r in current.signal_waits])
        _advance_maps(cur, planner, current.items_done, lookup)
        _advance_dependants(cur, planner, current.ended, lookup, countdown)
        countdown = None
        current = planner.plan
    write_events(cur, total.events)
    stopped = {r.run_id for r in total.runs if r.status != "COMPLETED"}
    if stopped:  # their queued jobs were cancelled in SQL; do not publish them either
        total.jobs = [j for j in total.jobs if j.run_id not in stopped]
    _hold_paused(cur, total, statuses or {})
    return total


def _hold_paused(cur: Cursor, plan: Plan, statuses: Mapping[UUID, str]) -> None:
    """A paused run dispatches no job: its new jobs stay in the outbox (due at once, so the relay
    publishes them as soon as the run is resumed; it skips paused runs' jobs until then). The status
    of runs in `statuses` is known; only the others' is read."""
    runs = sorted({j.run_id for j in plan.jobs if j.immediate})
    if not runs:
        return
    paused = {r for r in runs if statuses.get(r) == "PAUSED"}
    unknown = [r for r in runs if r not in statuses]
    if unknown:
        paused.update(r.run_id for r in fetch_all(cur, RunIdRow, join_sql.PAUSED_AMONG, (unknown,)))
    if paused:
        held = [j for j in plan.jobs if j.run_id in paused]
        cur.execute(join_sql.RELEASE_JOBS, ([j.job_id for j in held],))
        plan.jobs = [j for j in plan.jobs if j.run_id not in paused]


def _advance_maps(cur: Cursor, planner: Planner, done: list[Ended], lookup: Lookup) -> None:
    if not done:
        return
    counts = Counter((e.run.run_id, e.step_id) for e in done)
    runs = {e.run.run_id: e.run for e in done}
    keys = sorted(counts)
    counted = fetch_all(
        cur,
        MapCountRow,
        join_sql.ITEMS_DONE,
        ([k[0] for k in keys], [k[1] for k in keys], [counts[k] for k in keys]),
    )
    finished: list[tuple[UUID, str, int]] = []
    refill: list[tuple[UUID, str, int]] = []
    for m in counted:
        if m.items_open <= 0:
            finished.append((m.run_id, m.step_id, m.items_total))
        else:
            refill.append((m.run_id, m.step_id, counts[(m.run_id, m.step_id)]))
    if finished:
        cur.execute(join_sql.FINISH_MAPS, ([f[0] for f in finished], [f[1] for f in finished]))
        for run_id, step_id, items in finished:
            starts.map_completed(planner, runs[run_id], step_id, items)
    if refill:
        dispatched = fetch_all(
            cur,
            NextItemRow,
            join_sql.NEXT_ITEMS,
            ([r[0] for r in refill], [r[1] for r in refill], [r[2] for r in refill]),
        )
        for i in dispatched:
            run = runs[i.run_id]
            step = lookup(run.workflow_id, run.version).by_id[i.step_id]
            planner.new_job(run, step, 1, i.input, item_index=i.item_index)


def _advance_dependants(
    cur: Cursor, planner: Planner, ended: list[Ended], lookup: Lookup, countdown: Countdown | None
) -> None:
    if not ended:
        return
    runs = {e.run.run_id: e.run for e in ended}
    known = {(e.run.run_id, e.step_id): e for e in ended if e.output is not None}
    if countdown is not None:  # confirmed: the same counts, sent with the claim
        counted, closed = countdown.dependants(), countdown.sinks()
    else:
        counts = ended_counts(ended, lookup)
        deps = decrement_deps(cur, counts.deps) if counts.deps else None
        sinks = close_sinks(cur, counts.sinks) if counts.sinks else None
        counted = deps.fetchall() if deps is not None else []
        closed = sinks.fetchall() if sinks is not None else []
    ready = [(runs[d.run_id], d.step_id) for d in counted if d.pending_deps == 0 and d.status == "PENDING"]
    finishing = [runs[r.run_id] for r in closed if r.open_sinks <= 0]
    if ready:
        start_ready(cur, planner, ready, lookup, known)
    if finishing:
        _complete_runs(cur, planner, finishing, lookup, known)


def start_ready(
    cur: Cursor,
    planner: Planner,
    ready: list[tuple[RunRef, str]],
    lookup: Lookup,
    known: dict[tuple[UUID, str], Ended] | None = None,
    overrides: dict[str, str] | None = None,
) -> None:
    """Read only what the ready steps' expressions need (and this batch does not already know),
    then decide what each one does. `overrides`: step id -> its input (JSON text), instead of
    rendering it (a replay's payload)."""
    known = known or {}
    wanted: set[tuple[UUID, str]] = set()
    inputs: set[UUID] = set()
    for run, step_id in ready:
        step = lookup(run.workflow_id, run.version).by_id[step_id]
        wanted.update((run.run_id, n) for n in step.needs)
        if step.needs_input:
            inputs.add(run.run_id)
    outputs: dict[UUID, dict[str, Any]] = {}
    for key in wanted & known.keys():
        outputs.setdefault(key[0], {})[key[1]] = _load(known[key].output)
    wanted -= known.keys()
    if wanted:
        keys = sorted(wanted)
        for s in fetch_all(cur, StepRow, join_sql.READ_STEPS, ([k[0] for k in keys], [k[1] for k in keys])):
            outputs.setdefault(s.run_id, {})[s.step_id] = _load(s.output)
    run_inputs: dict[UUID, Any] = {}
    if inputs:
        read = fetch_all(cur, InputRow, join_sql.READ_INPUTS, (sorted(inputs),))
        run_inputs = {r.run_id: _load(r.input) for r in read}
    for run, step_id in ready:
        step = lookup(run.workflow_id, run.version).by_id[step_id]
        ctx = starts.context(run_inputs.get(run.run_id), outputs.get(run.run_id, {}))
        starts.start(planner, run, step, ctx, (overrides or {}).get(step_id))


def _complete_runs(
    cur: Cursor,
    planner: Planner,
    finishing: list[RunRef],
    lookup: Lookup,
    known: dict[tuple[UUID, str], Ended],
) -> None:
    keys = []
    found: dict[UUID, dict[str, tuple[str, Any]]] = {}
    for run in finishing:
        for sink in lookup(run.workflow_id, run.version).sinks:
            e = known.get((run.run_id, sink))
            if e is None:
                keys.append((run.run_id, sink))
            else:  # ended in this batch
                found.setdefault(run.run_id, {})[sink] = (
                    "SKIPPED" if e.skipped else "COMPLETED",
                    _load(e.output),
                )
    if keys:
        for s in fetch_all(cur, StepRow, join_sql.READ_STEPS, ([k[0] for k in keys], [k[1] for k in keys])):
            found.setdefault(s.run_id, {})[s.step_id] = (s.status, _load(s.output))
    for run in finishing:
        definition = lookup(run.workflow_id, run.version)
        starts.complete_run(planner, run, definition, found.get(run.run_id, {}))
