"""TestEnvironment: run workflow definitions against in-process handlers on a virtual clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from legato.definitions import Definition, parse_definition
from legato.workflow import starts
from legato.workflow.concurrency import render_key
from legato.workflow.model import Claimed, Event, NewJob, RunRef
from legato_protocol import Job
from legato_worker._context import JobContext
from legato_worker._errors import to_json
from legato_worker._executor import _await_here
from legato_worker._handlers import Handler, Registered, check_action, registered, run_async, run_sync
from legato_worker.testing._engine import Engine, dumps
from legato_worker.testing._store import OPEN_RUN, Run, Signal, Store
from legato_worker.testing._views import TestRun

DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)
WORKER_ID = "legato-testing"


@dataclass(order=True)
class _Scheduled:
    at_ms: int
    order: int
    run_id: UUID = field(compare=False)
    name: str = field(compare=False)
    payload: Any = field(compare=False)
    signal_id: str | None = field(compare=False)


class TestEnvironment:
    """Runs workflow definitions (dicts, or builders with `to_dict()`) against handlers registered
    here, with no Kafka and no database, deciding every step as the orchestrator does.

    The clock is virtual (it starts at `start`, 2030-01-01T00:00:00Z by default). With
    `skip_time=True` (the default) it jumps ahead by itself whenever nothing is due: to waits,
    retry delays and signals scheduled with `signal_at`, but never past a signal step's timeout,
    which only `advance()` lets pass. So `start()` returns once the run has ended or waits for a
    signal. With `skip_time=False` the clock moves only with `advance()`.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, *, start: datetime = DEFAULT_START, skip_time: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime (with a time zone)")
        self.skip_time = skip_time
        self._store = Store(int(start.timestamp() * 1000))
        self._engine = Engine(self._store, self._lookup)
        self._handlers: dict[str, Registered] = {}
        self._workflows: dict[str, list[tuple[str, Definition]]] = {}
        self._scheduled: list[_Scheduled] = []
        self._order = itertools.count()

    # --- set up --------------------------------------------------------------------------------

    def register(self, action: str, handler: Handler) -> None:
        """The handler of `action`, with the signatures `Worker.register` takes (typed ones too)."""
        check_action(action)
        if not callable(handler):
            raise TypeError(f"handler for {action!r} is not callable: {handler!r}")
        if action in self._handlers:
            raise ValueError(f"action {action!r} is already registered")
        self._handlers[action] = registered(handler)

    def define(self, workflow: Any) -> dict[str, Any]:
        """Validate and store a definition as `POST /workflow/` does (DefinitionError if the server
        would refuse it); a different body for a known id is a new version. Answers `{id, version}`."""
        body = _body(workflow)
        definition = parse_definition(body)
        text = json.dumps(body, sort_keys=True)
        versions = self._workflows.setdefault(definition.workflow_id, [])
        if not versions or versions[-1][0] != text:
            versions.append((text, definition))
        return {"id": definition.workflow_id, "version": len(versions)}

    def _lookup(self, workflow_id: str, version: int | None) -> tuple[int, Definition] | None:
        versions = self._workflows.get(workflow_id, [])
        n = len(versions) if version is None else version
        return (n, versions[n - 1][1]) if 0 < n <= len(versions) else None

    # --- runs ----------------------------------------------------------------------------------

    def start(self, workflow: Any, input: Any = None) -> TestRun:
        """Trigger a run of `workflow` (a definition, defined here first, or the id of one defined
        before) and run until nothing more can happen without a signal or `advance()`."""
        if isinstance(workflow, str):
            found = self._lookup(workflow, None)
            if found is None:
                raise LookupError(f"no workflow {workflow!r} is defined here; define() it first")
            version, definition = found
        else:
            version = self.define(workflow)["version"]
            definition = self._workflows[_body(workflow)["id"]][version - 1][1]
        run_input = json.loads(to_json(input))  # JSON, as a trigger body carries it
        ref = RunRef(uuid7(), definition.workflow_id, version, None)
        planner = self._engine.planner()
        run = self._store.add_run(ref, definition, run_input, "RUNNING")
        created: dict[str, Any] = {"version": version}
        if definition.concurrency is not None:
            run.concurrency_key = render_key(definition.concurrency, run_input)
            if run.concurrency_key is not None:
                created["concurrencyKey"] = run.concurrency_key
        planner.plan.events.append(Event(ref.run_id, "RUN_CREATED", data=dumps(created)))
        if self._admit(run, definition):
            starts.start_run(planner, ref, definition, run_input)
        self._engine.settle(planner.plan)
        if run.status == "CANCELLED" and run.error is not None:
            self._store.event(ref.run_id, "RUN_CANCELLED", None, None, run.error)
        self._run()
        return self._view(ref.run_id)

    def _admit(self, run: Run, definition: Definition) -> bool:
        """The concurrency key's decision (legato.workflow.concurrency.decide): start, wait PENDING,
        be cancelled (cancelNewest), or start and cancel the oldest open run (cancelOldest)."""
        policy, key = definition.concurrency, run.concurrency_key
        if policy is None or key is None:
            return True
        same = [
            r
            for r in self._store.runs.values()
            if r is not run and r.parent is None and r.ref.workflow_id == run.ref.workflow_id
            if r.concurrency_key == key
        ]
        running = [r for r in same if r.status == "RUNNING"]
        waiting = any(r.status == "PENDING" for r in same)
        if policy.on_limit == "queue" and (waiting or len(running) >= policy.limit):
            run.status = "PENDING"
            return False
        if policy.on_limit == "cancelNewest" and len(running) >= policy.limit:
            run.status = "CANCELLED"
            run.error = {
                "type": "ConcurrencyLimit",
                "message": f"concurrency key {key!r} already had {policy.limit} open run(s) "
                "(onLimit: cancelNewest)",
            }
            return False
        if len(running) >= policy.limit:
            oldest = min(running, key=lambda r: r.created_ms)
            self._store.cancel(oldest, {"reason": "ConcurrencyLimit", "onLimit": "cancelOldest"})
        return True

    def signal(
        self, run: TestRun | str, name: str, payload: Any = None, *, signal_id: str | None = None
    ) -> dict[str, Any]:
        """Send a signal as `POST /workflow/run/{runId}/signal/{name}` does, then run on.
        Answers `{runId, name, signalId, duplicate, consumedBy}`."""
        state = self._store.runs[UUID(run if isinstance(run, str) else run.run_id)]
        answer = self._send(state, name, payload, signal_id)
        self._run()
        return answer

    def signal_at(
        self,
        run: TestRun | str,
        name: str,
        payload: Any = None,
        *,
        after_seconds: float,
        signal_id: str | None = None,
    ) -> None:
        """Send a signal `after_seconds` from now on the virtual clock (dropped if the run has
        ended by then)."""
        state = self._store.runs[UUID(run if isinstance(run, str) else run.run_id)]
        _check_name(state, name)
        at = self._store.now_ms + int(after_seconds * 1000)
        payload = json.loads(to_json(payload))
        scheduled = _Scheduled(at, next(self._order), state.run_id, name, payload, signal_id)
        heapq.heappush(self._scheduled, scheduled)
        self._run()

    def _send(self, run: Run, name: str, payload: Any, signal_id: str | None) -> dict[str, Any]:
        sid = signal_id
        answer = {"runId": str(run.run_id), "name": name, "duplicate": True, "consumedBy": None}
        if sid is not None and (known := next((g for g in run.signals if g.signal_id == sid), None)):
            return answer | {"name": known.name, "signalId": sid}
        if run.status not in OPEN_RUN:
            raise RuntimeError(
                f"run {run.run_id} is {run.status}; a signal can only be sent to a run that has not ended"
            )
        _check_name(run, name)
        sid = sid if sid is not None else str(uuid7())
        signal = Signal(sid, name, json.loads(to_json(payload)))
        run.signals.append(signal)
        self._store.event(run.run_id, "SIGNAL_RECEIVED", None, None, {"name": name, "signalId": sid})
        planner = self._engine.planner()
        self._engine.deliver(planner, [run.run_id])
        self._engine.settle(planner.plan)
        return answer | {"signalId": sid, "duplicate": False, "consumedBy": signal.step_id}

    def cancel(self, run: TestRun | str) -> None:
        """Cancel an open run as `POST /workflow/run/{runId}/cancel` does (its children too)."""
        state = self._store.runs[UUID(run if isinstance(run, str) else run.run_id)]
        if state.status not in OPEN_RUN:
            raise RuntimeError(f"run {state.run_id} is {state.status}; only an open run can be cancelled")
        self._store.cancel(state, None)
        self._engine.settle(self._engine.planner().plan)
        self._run()

    # --- time ----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The virtual clock."""
        return datetime.fromtimestamp(self._store.now_ms / 1000, tz=UTC)

    def advance(self, seconds: float | None = None) -> float:
        """Move the clock `seconds` ahead, firing every timer due on the way (signal timeouts too)
        at its time; without `seconds`, to the next timer, whatever it is. Answers the seconds
        the clock moved (0 when there was nothing to wait for)."""
        before = self._store.now_ms
        if seconds is None:
            target = _min(self._next_ms(), self._engine.next_timer_ms())
            if target is None:
                return 0.0
        else:
            if seconds < 0:
                raise ValueError("the clock only moves forward")
            target = before + int(seconds * 1000)
        self._run(until_ms=max(target, before))
        return (self._store.now_ms - before) / 1000

    def _next_ms(self) -> int | None:
        """The next time something that is not a signal timeout is due (a job, timer, signal)."""
        scheduled = self._scheduled[0].at_ms if self._scheduled else None
        return _min(self._store.next_job_ms(), self._engine.next_timer_ms(signal_timeouts=False), scheduled)

    def _run(self, until_ms: int | None = None) -> None:
        store = self._store
        while True:
            job = store.due_job()
            if job is not None:
                self._execute(job)
                continue
            if self._engine.fire_timers() or self._fire_scheduled():
                continue
            auto = self._next_ms()
            timeout = self._engine.next_timer_ms(signal_timeouts=True)
            every = _min(auto, timeout)
            if until_ms is not None and every is not None and every <= until_ms:
                store.now_ms = max(store.now_ms, every)
            elif until_ms is not None and store.now_ms < until_ms:
                store.now_ms = until_ms
            elif self.skip_time and auto is not None and (timeout is None or auto < timeout):
                store.now_ms = max(store.now_ms, auto)
            else:
                return

    def _fire_scheduled(self) -> bool:
        fired = False
        while self._scheduled and self._scheduled[0].at_ms <= self._store.now_ms:
            s = heapq.heappop(self._scheduled)
            run = self._store.runs[s.run_id]
            if run.status in OPEN_RUN:
                self._send(run, s.name, s.payload, s.signal_id)
            fired = True
        return fired

    # --- jobs: the handlers run here, through the SDK's own job path ---------------------------

    def _execute(self, job: NewJob) -> None:
        run = self._store.runs[job.run_id]
        entry = self._handlers.get(job.action)
        if entry is None:
            raise LookupError(
                f"no handler for action {job.action!r} (step {job.step_id!r} of workflow "
                f"{job.workflow_id!r}): env.register({job.action!r}, handler) first"
            )
        wire: Job = {
            "jobId": str(job.job_id),
            "runId": str(job.run_id),
            "stepId": job.step_id,
            "attempt": job.attempt,
            "action": job.action,
            "payload": job.payload,
            "workflowId": job.workflow_id,
            "workflowVersion": job.version,
            "queue": job.topic,
            "correlationId": job.correlation_id,
            "createdAt": self._store.now_ms,
            "deadlineAt": None,
            "startToCloseMs": job.timeout_ms,
            "heartbeatTimeoutMs": job.heartbeat_ms,
            "lastHeartbeatDetails": job.details,
        }
        ctx = JobContext(wire, clock=lambda: self._store.now_ms)
        if entry.is_async:
            result = asyncio.run(run_async(entry.handler, wire, WORKER_ID, ctx, entry.with_context))
        else:
            result = run_sync(entry.handler, wire, WORKER_ID, _await_here, ctx, entry.with_context)
        failed = result["status"] == "FAILED"
        with ctx.lock:
            pending = ctx.close(failed)
        details = pending[1] if pending is not None and pending[1] is not None else job.details
        claimed = Claimed(
            job.job_id,
            job.run_id,
            job.step_id,
            job.attempt,
            job.action,
            job.payload,
            job.workflow_id,
            job.version,
            job.correlation_id,
            result["status"],
            output=result["output"],
            failure=None if result["failure"] is None else dict(result["failure"]),
            item_index=job.item_index,
            details=details,
            requeues=job.requeues,
        )
        planner = self._engine.planner()
        planner.outcome(claimed, run.definition)
        self._engine.settle(planner.plan)

    # --- views ---------------------------------------------------------------------------------

    def _view(self, run_id: UUID) -> TestRun:
        return TestRun(self._store.runs[run_id], self._view)

    def run(self, run_id: str) -> TestRun:
        """A run of this environment by id (a child run, say)."""
        return self._view(UUID(run_id))


def _body(workflow: Any) -> dict[str, Any]:
    body = workflow.to_dict() if hasattr(workflow, "to_dict") else workflow
    if not isinstance(body, Mapping):
        raise TypeError(f"a workflow is a definition dict or has to_dict(), not {type(workflow).__name__}")
    return dict(body)


def _check_name(run: Run, name: str) -> None:
    names = sorted({s.signal.name for s in run.definition.steps if s.signal is not None})
    if name not in names:
        raise ValueError(
            f"workflow {run.ref.workflow_id} (version {run.ref.version}) has no step waiting for signal "
            f"{name!r}; its signals: {', '.join(names) if names else 'none'}"
        )


def _min(*times: int | None) -> int | None:
    return min((t for t in times if t is not None), default=None)
