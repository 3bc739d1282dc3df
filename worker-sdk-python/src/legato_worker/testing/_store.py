"""The kit's in-memory store: runs, steps, map items, jobs and history, and writing a Plan into them.

`Store.write` applies a `legato.workflow.model.Plan` the way `legato.workflow.writes.write_plan`
does in SQL (the same UPDATE rules: attempts only grow, an input is kept unless a new one is given,
a CANCELLED step or a COMPLETED item takes no more updates, a failed run closes its open steps and
drops its queued jobs). Times are the environment's virtual clock, in epoch ms.
"""

from __future__ import annotations

import heapq
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from legato.definitions import Definition
from legato.workflow.model import NewJob, Plan, RunRef

OPEN_STEP = ("RUNNING", "RETRYING", "WAITING")
OPEN_RUN = ("PENDING", "RUNNING")
ENDED_RUN = ("COMPLETED", "FAILED", "CANCELLED")


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


@dataclass(slots=True)
class Item:
    status: str
    attempts: int
    input: str
    output: Any = None
    error: Any = None


@dataclass(slots=True)
class Step:
    id: str
    kind: str
    action: str | None
    pending_deps: int
    position: int
    status: str = "PENDING"
    attempts: int = 0
    input: Any = None
    output: Any = None
    error: Any = None
    wake_at_ms: int | None = None
    waiting_since: int = 0  # a signal wait's order among the run's waits (the longest waiting first)
    items: dict[int, Item] = field(default_factory=dict)
    items_open: int = 0
    child_run_id: UUID | None = None


@dataclass(slots=True)
class Signal:
    signal_id: str
    name: str
    payload: Any
    step_id: str | None = None  # the step that took it; None while it is kept


@dataclass(slots=True)
class Run:
    ref: RunRef
    definition: Definition
    input: Any
    status: str
    steps: dict[str, Step]
    open_sinks: int
    created_ms: int
    depth: int = 0
    parent: tuple[UUID, str] | None = None
    concurrency_key: str | None = None
    output: Any = None
    error: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    @property
    def run_id(self) -> UUID:
        return self.ref.run_id


def new_run(ref: RunRef, definition: Definition, run_input: Any, status: str, now_ms: int) -> Run:
    steps = {
        s.id: Step(s.id, s.kind, s.action, len(s.depends_on), n)
        for n, s in enumerate(definition.steps, start=1)
    }
    return Run(ref, definition, run_input, status, steps, len(definition.sinks), now_ms)


class Store:
    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms
        self.runs: dict[UUID, Run] = {}
        self.jobs: list[tuple[int, int, NewJob]] = []  # a heap: (due ms, order, job)
        self._order = itertools.count()
        self._event_ids = itertools.count(1)
        self.ended_runs: list[UUID] = []  # runs that ended since the engine last looked
        self._waits = itertools.count(1)

    def add_run(self, ref: RunRef, definition: Definition, run_input: Any, status: str) -> Run:
        run = new_run(ref, definition, run_input, status, self.now_ms)
        self.runs[ref.run_id] = run
        return run

    def cancel(self, run: Run, data: Any) -> None:
        """RUN_CANCELLED: its open and pending steps are CANCELLED, its queued jobs never run."""
        run.status = "CANCELLED"
        for step in run.steps.values():
            if step.status == "PENDING":
                step.status = "CANCELLED"
        self.close(run)
        self.event(run.run_id, "RUN_CANCELLED", None, None, data)
        self.ended_runs.append(run.run_id)

    def due_job(self) -> NewJob | None:
        """The oldest job due now (jobs of runs that stopped are dropped on the way)."""
        while self.jobs and self.jobs[0][0] <= self.now_ms:
            job = heapq.heappop(self.jobs)[2]
            if self.runs[job.run_id].status == "RUNNING":
                return job
        return None

    def next_job_ms(self) -> int | None:
        return self.jobs[0][0] if self.jobs else None

    def event(self, run_id: UUID, kind: str, step_id: str | None, attempt: int | None, data: Any) -> None:
        at = iso(self.now_ms)
        record = {"id": next(self._event_ids), "at": at, "type": kind, "stepId": step_id}
        record |= {"attempt": attempt, "data": data}
        self.runs[run_id].events.append(record)

    def write(self, plan: Plan) -> None:
        for u in plan.steps:
            step = self.runs[u.run_id].steps[u.step_id]
            if step.status == "CANCELLED":
                continue
            step.status, step.attempts = u.status, max(step.attempts, u.attempts)
            if u.input is not None:
                step.input = loads(u.input)
            step.output, step.error = loads(u.output), loads(u.error)
            step.wake_at_ms = u.wake_at_ms
            if u.wake_at_ms is None and u.wake_in_ms is not None:
                step.wake_at_ms = self.now_ms + u.wake_in_ms
            if u.items is not None:
                step.items_open = u.items
            if u.status == "WAITING" and step.kind == "signal":
                step.waiting_since = next(self._waits)
        for n in plan.items:
            self.runs[n.run_id].steps[n.step_id].items[n.item_index] = Item(n.status, n.attempts, n.input)
        for i in plan.item_updates:
            item = self.runs[i.run_id].steps[i.step_id].items[i.item_index]
            if item.status not in ("COMPLETED", "CANCELLED"):
                item.status, item.attempts = i.status, max(item.attempts, i.attempts)
                item.output, item.error = loads(i.output), loads(i.error)
        for j in plan.jobs:
            due = self.now_ms if j.immediate else self.now_ms + j.delay_ms
            heapq.heappush(self.jobs, (due, next(self._order), j))
        for r in plan.runs:
            run = self.runs[r.run_id]
            run.status, run.output, run.error = r.status, loads(r.output), loads(r.error)
            self.ended_runs.append(r.run_id)
            if r.status != "COMPLETED":
                self.close(run)
        for e in plan.events:
            self.event(e.run_id, e.type, e.step_id, e.attempt, loads(e.data))

    def close(self, run: Run) -> None:
        """A run that stopped: its open steps are closed (CANCELLED), its queued jobs never run."""
        for step in run.steps.values():
            if step.status in OPEN_STEP:
                step.status, step.wake_at_ms = "CANCELLED", None
        self.jobs = [j for j in self.jobs if j[2].run_id != run.run_id]
        heapq.heapify(self.jobs)
