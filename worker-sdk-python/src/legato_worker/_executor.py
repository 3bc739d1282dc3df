"""Running handlers: a fixed thread pool for sync handlers, one event-loop thread for async ones.

One gate bounds the handlers in flight across both (LEGATO_WORKER_CONCURRENCY). A slot is taken by
the consumer before it hands a job on and given back only once the job's result has been handed
to the producer, so "idle" means every finished job's result is already queued for flushing.

At shutdown, `release_running` answers for the handlers still running after their WorkerShutdown
cancellation and its grace (`_shutdown.py`): their Result goes out now and whatever they do later
is discarded, so their jobs are not redelivered and no thread is killed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from legato_protocol import Job, Result
from legato_worker import _tracing
from legato_worker._attempts import Attempts
from legato_worker._context import JobContext
from legato_worker._handlers import Registered, failed, run_async, run_sync
from legato_worker._metrics import NO_METRICS, WorkerMetrics
from legato_worker._offsets import PartitionOffsets
from legato_worker._shutdown import WORKER_SHUTDOWN, released, still_running

log = logging.getLogger("legato_worker")


class Task:
    """One decoded job on its way through a handler."""

    __slots__ = ("duplicate", "entry", "job", "offset", "source", "span", "state")

    def __init__(
        self,
        entry: Registered,
        job: Job,
        state: PartitionOffsets,
        offset: int,
        source: _tracing.Source | None = None,
    ) -> None:
        self.entry = entry
        self.job = job
        self.state = state
        self.offset = offset
        self.duplicate = False
        self.source = source  # where it was read, when tracing is on
        self.span: _tracing.AttemptSpan | None = None

    @property
    def is_async(self) -> bool:
        return self.entry.is_async

    def release(self) -> None:
        """The job is finished for offset storage (its SKIPPED acknowledged: nothing else can)."""
        self.state.done(self.offset)

    def release_duplicate(self) -> None:
        """A copy of a job that runs or ran in this worker, not started: finished for offset
        storage at once (docs/protocol.md, item 17). A running first copy still holds the
        partition's offset back, as any job in flight does."""
        self.duplicate = True
        self.state.done(self.offset)

    def release_once(self) -> None:
        """The job is finished for offset storage by whichever comes first: its Result
        acknowledged, a Cancel for it read while it runs, or (heartbeating steps) its STARTED
        acknowledged (docs/protocol.md, items 15 and 16). The tracker counts an offset marked
        done more than once only once (`_offsets.py`), so the later ones change nothing."""
        self.state.done(self.offset)


Finish = Callable[[Task, Result], None]


class Gate:
    """A counting limit that can also be waited on until nothing is in flight."""

    def __init__(self, limit: int) -> None:
        self._cond = threading.Condition()
        self._limit = limit
        self.active = 0

    def try_acquire(self) -> bool:
        with self._cond:
            if self.active >= self._limit:
                return False
            self.active += 1
            return True

    @property
    def limit(self) -> int:
        return self._limit

    def free(self) -> int:
        with self._cond:
            return max(self._limit - self.active, 0)

    def wait_free(self, timeout: float) -> bool:
        """Wait (at most `timeout`) until a slot is free; does not take it."""
        with self._cond:
            return self._cond.wait_for(lambda: self.active < self._limit, max(timeout, 0.0))

    def release(self) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.active == 0, max(timeout, 0.0))


def _await_here(awaitable: Awaitable[Any]) -> Any:
    async def wrapper() -> Any:
        return await awaitable

    return asyncio.run(wrapper())


class Executor:
    def __init__(self, concurrency: int, worker_id: str, finish: Finish, attempts: Attempts) -> None:
        self.gate = Gate(concurrency)
        self.metrics: WorkerMetrics = NO_METRICS
        self._attempts = attempts
        self._concurrency = concurrency
        self._worker_id = worker_id
        self._finish = finish
        self._queue: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._pending_async: list[Task] = []
        self._pending_lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: dict[Task, JobContext] = {}
        """Handlers running now (for the shutdown). Single dict operations, atomic under the GIL:
        no lock on the per-job path; `release_running` reads a snapshot."""
        self._count_lock = threading.Lock()
        self.released_at_shutdown = 0
        """Attempts answered FAILED WorkerShutdown (queued again without using an attempt)."""

    def start(self, *, sync_handlers: bool, async_handlers: bool) -> None:
        if sync_handlers:
            for i in range(self._concurrency):
                thread = threading.Thread(target=self._thread_loop, name=f"legato-handler-{i}", daemon=True)
                thread.start()
                self._threads.append(thread)
        if async_handlers:
            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(
                target=self._run_loop, args=(self._loop,), name="legato-asyncio", daemon=True
            )
            self._loop_thread.start()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    def submit(self, task: Task) -> None:
        """Hand on a job; the caller must hold a gate slot, which the job gives back when done."""
        if not task.is_async:
            self._queue.put(task)
            return
        assert self._loop is not None
        with self._pending_lock:
            self._pending_async.append(task)
            wake = len(self._pending_async) == 1
        if wake:  # one wake-up of the loop per burst of async jobs, not per job
            self._loop.call_soon_threadsafe(self._spawn_pending)

    def _begin(self, task: Task) -> JobContext | None:
        """The attempt's context, or None if it was not started (its slot is then given back)."""
        try:
            if task.source is not None:  # tracing: the attempt's span, before its STARTED record
                task.span = _tracing.begin(task.job, task.source)
            ctx = self._attempts.begin(
                task.job,
                task.release,
                task.release_once if _heartbeating(task.job) else None,
                None if task.span is None else task.span.headers,
                task.release_once,
                task.release_duplicate,
            )
            if ctx is None and not task.duplicate:  # a duplicate is counted by its first copy
                self.metrics.skipped(task.job["action"])
        except Exception:  # never lose the slot; the job stays unstored and is redelivered
            log.exception("could not start job %s", task.job["jobId"])
            ctx = None
        if ctx is None:
            if task.span is not None:
                task.span.span.end()
            self.gate.release()
        else:
            self._running[task] = ctx
            self.metrics.handler_started(task.job["action"])
        return ctx

    def _complete(self, task: Task, ctx: JobContext, result: Result, began: float) -> None:
        self._running.pop(task, None)
        self.metrics.handler_ended(
            task.job["action"], time.perf_counter() - began, result["status"] == "FAILED"
        )
        try:
            if self._attempts.end(ctx, failed=result["status"] == "FAILED"):
                # closed now: the cancellation reason can no longer change
                shutdown = ctx.cancel_reason == WORKER_SHUTDOWN and result["status"] == "FAILED"
                self._answer(task, released(result) if shutdown else result, shutdown)
        except Exception:  # never lose the slot; the job stays unstored and is redelivered
            log.exception("could not publish the result of job %s", task.job["jobId"])
        finally:
            self.gate.release()

    def _answer(self, task: Task, result: Result, shutdown: bool) -> None:
        if task.span is not None:
            result["traceparent"] = task.span.traceparent
            task.span.end(result)
        if shutdown:
            with self._count_lock:
                self.released_at_shutdown += 1
        self._finish(task, result)

    def release_running(self) -> int:
        """Answer FAILED WorkerShutdown for every handler still running since its WorkerShutdown
        cancellation (pending heartbeat details first); what they return or raise later is
        discarded. Returns how many were answered."""
        snapshot = self._running.copy()  # one C call: never sees the dict change size
        running = [(t, c) for t, c in snapshot.items() if c.cancel_reason == WORKER_SHUTDOWN]
        answered = 0
        for task, ctx in running:
            if not self._attempts.end(ctx, failed=True):  # its handler has just ended
                continue
            try:
                result = still_running(task.job, self._worker_id, ctx.started_at, ctx.clock)
                self._answer(task, result, True)
                answered += 1
            except Exception:  # the job stays unstored and is redelivered
                log.exception("could not publish the result of job %s", task.job["jobId"])
        return answered

    def _thread_loop(self) -> None:
        get = self._queue.get
        worker_id = self._worker_id
        while (task := get()) is not None:
            ctx = self._begin(task)
            if ctx is None:
                continue
            began = time.perf_counter()
            entry = task.entry
            fields = _tracing.log_fields(task.job, task.span)
            current = None if task.span is None else task.span.attach()
            try:
                result = run_sync(entry.handler, task.job, worker_id, _await_here, ctx, entry.with_context)
            except BaseException as exc:  # e.g. SystemExit raised by a handler
                result = failed(task.job, worker_id, ctx.started_at, exc, ctx.clock)
            finally:
                if task.span is not None:
                    task.span.detach(current)
                _tracing.reset_log_fields(fields)
            self._complete(task, ctx, result, began)

    def _spawn_pending(self) -> None:
        assert self._loop is not None
        with self._pending_lock:
            tasks, self._pending_async = self._pending_async, []
        for task in tasks:
            handle = self._loop.create_task(self._run_on_loop(task))
            self._tasks.add(handle)
            handle.add_done_callback(self._tasks.discard)

    async def _run_on_loop(self, task: Task) -> None:
        ctx = self._begin(task)
        if ctx is None:
            return
        current = asyncio.current_task()
        assert self._loop is not None and current is not None
        ctx.bind_task(self._loop, current)
        # this task's own context: its log fields and current span end with it
        _tracing.log_fields(task.job, task.span)
        if task.span is not None:
            task.span.attach()
        began = time.perf_counter()
        entry = task.entry
        try:
            result = await run_async(entry.handler, task.job, self._worker_id, ctx, entry.with_context)
        except BaseException as exc:  # cancellation included: still answer the job
            result = failed(task.job, self._worker_id, ctx.started_at, exc, ctx.clock)
        self._complete(task, ctx, result, began)

    def cancel_running(self, reason: str) -> int:
        """Signal cancellation to every running handler; returns how many there were."""
        return self._attempts.cancel_all(reason)

    def shutdown(self) -> None:
        """Stop idle threads; handlers still running (past the drain limit) are abandoned."""
        for _ in self._threads:
            self._queue.put(None)
        if self._loop is not None and self._loop_thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=1)


def _heartbeating(job: Job) -> bool:
    return job.get("heartbeatTimeoutMs") is not None
