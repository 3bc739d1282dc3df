"""The kit's engine: the orchestrator's own decisions, driven in memory instead of through SQL.

What a step does when it becomes ready, what an attempt's outcome does (retries and their delays,
non-retryable errors, dead letters, map items), what a child run's end does, and a run's output are
decided by `legato.workflow` itself (`starts`, `transitions.Planner`, `children`); this module only
does what PostgreSQL does on the server: it counts dependencies down, gathers map outputs, matches
signals to waiting steps and finds due timers, following `legato.workflow.settle` round by round.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from legato.definitions import Definition
from legato.definitions.limits import MAX_CHILD_DEPTH
from legato.store.children_sql import EndedChildRow
from legato.workflow import starts
from legato.workflow.children import child_ended
from legato.workflow.model import Ended, Event, NewChild, Plan, RunRef, StepUpdate
from legato.workflow.transitions import Planner
from legato_worker.testing._store import Run, Store

JOBS_PREFIX = "workflow-jobs"
SIGNAL_TIMEOUT = "SignalTimeout"
Lookup = Callable[[str, int | None], tuple[int, Definition] | None]
"""(workflow id, version or None for the latest) -> (its version, its definition), or None."""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Engine:
    def __init__(self, store: Store, lookup: Lookup) -> None:
        self.store = store
        self.lookup = lookup

    def planner(self) -> Planner:
        return Planner(JOBS_PREFIX, self.store.now_ms, grace_ms=0)

    def definition(self, workflow_id: str, version: int) -> Definition:
        found = self.lookup(workflow_id, version)
        assert found is not None
        return found[1]

    # --- settle: follow a plan's consequences (legato.workflow.settle) ------------------------

    def settle(self, plan: Plan) -> None:
        current = plan
        while True:
            self.store.write(current)
            ended_runs, self.store.ended_runs = self.store.ended_runs, []
            if not (
                current.ended or current.items_done or current.children or current.signal_waits or ended_runs
            ):
                return
            planner = self.planner()
            self._start_children(planner, current.children)
            self.deliver(planner, [r.run_id for r in current.signal_waits])
            self._advance_maps(planner, current.items_done)
            self._advance_dependants(planner, current.ended)
            for run_id in ended_runs:
                self._run_ended(planner, self.store.runs[run_id])
            current = planner.plan

    def _advance_dependants(self, planner: Planner, ended: list[Ended]) -> None:
        ready: list[tuple[Run, str]] = []
        finishing: list[Run] = []
        for e in ended:
            run = self.store.runs[e.run.run_id]
            if run.status != "RUNNING":
                continue
            dependants = run.definition.dependants[e.step_id]
            if not dependants:
                run.open_sinks -= 1
                if run.open_sinks <= 0:
                    finishing.append(run)
            for d in dependants:
                step = run.steps[d]
                step.pending_deps -= 1
                if step.pending_deps == 0 and step.status == "PENDING":
                    ready.append((run, d))
        for run, step_id in ready:
            self.start_step(planner, run, step_id)
        for run in finishing:
            sinks = {s: (run.steps[s].status, run.steps[s].output) for s in run.definition.sinks}
            starts.complete_run(planner, run.ref, run.definition, sinks)

    def start_step(self, planner: Planner, run: Run, step_id: str) -> None:
        step = run.definition.by_id[step_id]
        outputs = {n: run.steps[n].output for n in step.needs}
        ctx = starts.context(run.input if step.needs_input else None, outputs)
        starts.start(planner, run.ref, step, ctx)

    def _advance_maps(self, planner: Planner, done: list[Ended]) -> None:
        counts = Counter((e.run.run_id, e.step_id) for e in done)
        for (run_id, step_id), n in counts.items():
            run = self.store.runs[run_id]
            step = run.steps[step_id]
            if run.status != "RUNNING" or step.status != "RUNNING":
                continue
            step.items_open -= n
            if step.items_open <= 0:
                outputs = [step.items[i].output for i in sorted(step.items)]
                planner.plan.steps.append(
                    StepUpdate(run_id, step_id, "COMPLETED", step.attempts, output=dumps(outputs), ended=True)
                )
                starts.map_completed(planner, run.ref, step_id, len(step.items))
                continue
            pending = [i for i in sorted(step.items) if step.items[i].status == "PENDING"][:n]
            definition = run.definition.by_id[step_id]
            for i in pending:
                item = step.items[i]
                item.status, item.attempts = "RUNNING", 1
                planner.new_job(run.ref, definition, 1, item.input, item_index=i)

    # --- signals (legato.workflow.signals: the SQL that matches them) --------------------------

    def deliver(self, planner: Planner, run_ids: list[UUID]) -> None:
        """Hand kept signals to waiting steps: per name, the oldest signal to the step waiting longest."""
        for run_id in dict.fromkeys(run_ids):
            run = self.store.runs[run_id]
            if run.status != "RUNNING":
                continue
            waiting = sorted(
                (s for s in run.steps.values() if s.kind == "signal" and s.status == "WAITING"),
                key=lambda s: (s.waiting_since, s.position),
            )
            for step in waiting:
                name = run.definition.by_id[step.id].signal.name  # type: ignore[union-attr]
                kept = next((g for g in run.signals if g.name == name and g.step_id is None), None)
                if kept is None:
                    continue
                kept.step_id = step.id
                output = dumps(kept.payload)
                step.status = "COMPLETED"  # taken: a later match in this round skips it
                planner.plan.steps.append(
                    StepUpdate(run_id, step.id, "COMPLETED", step.attempts, output=output, ended=True)
                )
                data = dumps({"name": name, "signalId": kept.signal_id})
                planner.plan.events.append(Event(run_id, "SIGNAL_CONSUMED", step.id, step.attempts, data))
                planner.plan.events.append(Event(run_id, "STEP_COMPLETED", step.id, step.attempts))
                planner.plan.ended.append(Ended(run.ref, step.id, output))

    # --- timers: waits, signal timeouts, restarts after a retry delay (workflow.deadlines) -----

    def next_timer_ms(self, signal_timeouts: bool | None = None) -> int | None:
        """The next timer of a live run: any (None), only signal timeouts (True), or the others."""
        times = [
            s.wake_at_ms
            for r in self.store.runs.values()
            if r.status == "RUNNING"
            for s in r.steps.values()
            if s.wake_at_ms is not None
            and (signal_timeouts is None or signal_timeouts == (s.kind == "signal" and s.status == "WAITING"))
        ]
        return min(times, default=None)

    def fire_timers(self) -> bool:
        """Fire every timer due now; whether there was one."""
        now = self.store.now_ms
        planner = self.planner()
        fired = False
        for run in list(self.store.runs.values()):
            if run.status != "RUNNING":
                continue
            for step in run.steps.values():
                if step.wake_at_ms is None or step.wake_at_ms > now:
                    continue
                fired = True
                step.wake_at_ms = None
                definition = run.definition.by_id[step.id]
                if step.kind == "wait" and step.status == "WAITING":
                    planner.plan.steps.append(
                        StepUpdate(run.run_id, step.id, "COMPLETED", step.attempts, output=dumps(step.input))
                    )
                    starts.timer_fired(planner, run.ref, step.id)
                elif step.kind == "signal" and step.status == "WAITING":
                    self._signal_timed_out(planner, run, step.id, step.attempts)
                elif step.status == "RETRYING" and definition.signal is not None:
                    starts.wait_for_signal(planner, run.ref, definition, step.attempts)
                elif step.status == "RETRYING" and definition.child is not None:
                    starts.start_child(planner, run.ref, definition, step.attempts, dumps(step.input))
        if fired:
            self.settle(planner.plan)
        return fired

    def _signal_timed_out(self, planner: Planner, run: Run, step_id: str, attempts: int) -> None:
        """As legato.workflow.signals.time_out: the default, or a retry, or SignalTimeout."""
        step = run.definition.by_id[step_id]
        assert step.signal is not None
        name = step.signal.name
        data = dumps({"name": name})
        planner.plan.events.append(Event(run.run_id, "SIGNAL_TIMED_OUT", step_id, attempts, data))
        if step.signal.has_default:
            output = dumps(step.signal.default)
            planner.plan.steps.append(
                StepUpdate(run.run_id, step_id, "COMPLETED", attempts, output=output, ended=True)
            )
            planner.plan.events.append(
                Event(run.run_id, "STEP_COMPLETED", step_id, attempts, '{"default": true}')
            )
            planner.plan.ended.append(Ended(run.ref, step_id, output))
            return
        timeout_s = (step.signal.timeout_ms or 0) / 1000
        message = f"no signal {name!r} arrived within timeoutSeconds ({timeout_s:g} s)"
        starts.retry_or_fail(planner, run.ref, step, attempts, SIGNAL_TIMEOUT, message, {"signal": name})

    # --- child runs (legato.workflow.children) -------------------------------------------------

    def _start_children(self, planner: Planner, children: list[NewChild]) -> None:
        for child in children:
            parent = self.store.runs[child.run.run_id]
            step = parent.definition.by_id[child.step_id]
            found = self.lookup(child.workflow_id, child.version)
            if found is None:
                which = f"version {child.version} of " if child.version is not None else ""
                message = f"no {which}workflow {child.workflow_id!r} is defined"
                starts.fail_step(planner, child.run, step, "UnknownWorkflow", message)
                continue
            if parent.depth + 1 > MAX_CHILD_DEPTH:
                message = (
                    f"a child run {parent.depth + 1} levels deep would pass the limit of {MAX_CHILD_DEPTH} "
                    "(does the workflow start itself?)"
                )
                starts.fail_step(planner, child.run, step, "ChildDepthExceeded", message)
                continue
            version, definition = found
            ref = RunRef(uuid7(), child.workflow_id, version, child.run.correlation_id)
            run = self.store.add_run(ref, definition, json.loads(child.input), "RUNNING")
            run.depth, run.parent = parent.depth + 1, (parent.run_id, child.step_id)
            parent.steps[child.step_id].child_run_id = ref.run_id
            started = {"childRunId": str(ref.run_id), "workflowId": child.workflow_id, "version": version}
            planner.plan.events.append(
                Event(parent.run_id, "CHILD_STARTED", child.step_id, child.attempt, dumps(started))
            )
            created = {"version": version, "parentRunId": str(parent.run_id), "parentStepId": child.step_id}
            planner.plan.events.append(Event(ref.run_id, "RUN_CREATED", data=dumps(created)))
            ctx = starts.context(run.input, {})
            for root in definition.roots:
                starts.start(planner, ref, definition.by_id[root], ctx)

    def _run_ended(self, planner: Planner, run: Run) -> None:
        """A run ended: its parent's step hears of it; a run that stopped cancels its open children."""
        if run.parent is not None:
            parent = self.store.runs[run.parent[0]]
            step = parent.steps[run.parent[1]]
            if parent.status == "RUNNING" and step.status == "RUNNING" and step.child_run_id == run.run_id:
                row = EndedChildRow(
                    parent.run_id,
                    step.id,
                    step.attempts,
                    run.run_id,
                    run.status,
                    dumps(run.output),
                    None if run.error is None else dumps(run.error),
                    parent.ref.workflow_id,
                    parent.ref.version,
                    parent.ref.correlation_id,
                    None,
                )
                child_ended(planner, row, self.definition)
        if run.status in ("FAILED", "CANCELLED"):
            for other in list(self.store.runs.values()):
                if other.parent is not None and other.parent[0] == run.run_id and other.status == "RUNNING":
                    self.store.cancel(other, {"reason": "the parent run ended"})
        if run.concurrency_key is not None:
            self._release(planner, run)

    def _release(self, planner: Planner, ended: Run) -> None:
        """PENDING runs of the ended run's concurrency key start as slots free, oldest first
        (legato.workflow.concurrency.release)."""
        policy = ended.definition.concurrency
        key = ended.concurrency_key
        same = [
            r
            for r in self.store.runs.values()
            if r.ref.workflow_id == ended.ref.workflow_id and r.concurrency_key == key and r.parent is None
        ]
        running = sum(r.status == "RUNNING" for r in same)
        limit = policy.limit if policy is not None else running + len(same)
        for run in sorted((r for r in same if r.status == "PENDING"), key=lambda r: r.created_ms):
            if running >= limit:
                return
            running += 1
            run.status = "RUNNING"
            planner.plan.events.append(Event(run.run_id, "RUN_STARTED", data=dumps({"concurrencyKey": key})))
            starts.start_run(planner, run.ref, run.definition, run.input)
