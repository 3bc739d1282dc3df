"""Protocol v2 bookkeeping of the attempts this worker runs (docs/protocol.md, items 12-17).

- `begin` runs just before a handler: a second copy of a jobId that runs here, or ended here in
  the last hour, is not started and sends nothing (its offset counts as done at once); a withdrawn
  attempt or one past its start-by time is skipped (Progress SKIPPED, the offset stored once that
  is acknowledged); otherwise the attempt is registered, so a Cancel can reach it, and a
  heartbeating step reports STARTED at once.
- One ticker thread sends what is due: the lazy STARTED after 1 s, coalesced heartbeats, and it
  signals StartToCloseTimeout. It scans the running attempts (at most the concurrency), so a
  no-op job costs a few dict operations and nothing on the wire besides its Result.
- `end` closes an attempt; after a failure, details still pending go out before the Result.
- Ended jobIds (a Result, or skipped) are kept for 1 h, at most KEEP_ENDED_MAX of them, oldest
  forgotten first: an insertion-ordered map, cut to KEEP_ENDED_MAX on every insert and pruned of
  expired ids at the prune cadence (an expired id not pruned yet counts as forgotten).
- Withdrawn jobIds (from the control topic) are kept for 24 h. A Cancel for an attempt that runs
  here signals its handler and, at once, silences it (no more Progress) and counts its job as done
  for offset storage: the orchestrator no longer waits for it, so a handler that ignores its
  cancellation must not pin its partition's offset, nor be run again after a rebalance.
- Wall-clock times (the deadline check, `startedAt`, `at`) come from the worker's clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from legato_protocol import Cancel, Job, Progress, ProgressKind, encode_progress
from legato_worker._clock import Clock, system_clock
from legato_worker._context import JobContext
from legato_worker._publisher import Headers, OnAck, Publisher
from legato_worker._version import SDK

log = logging.getLogger("legato_worker")

KEEP_WITHDRAWN_S = 86_400.0
KEEP_ENDED_S = 3_600.0
KEEP_ENDED_MAX = 10_000
TICK_S = 0.1
SUMMARY_EVERY_S = 10.0
PRUNE_EVERY_S = 60.0

WITHDRAWN = "Withdrawn"
DEADLINE_PASSED = "DeadlinePassed"
DUPLICATE = "Duplicate"  # never on the wire: a duplicate sends nothing


class Attempts:
    """Running attempts by jobId, ended and withdrawn jobIds, and the ticker that reports progress.

    `monotonic` measures how long an ended jobId is remembered (a test injects it).
    """

    def __init__(
        self,
        publisher: Publisher,
        results_topic: str,
        worker_id: str,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publisher = publisher
        self._clock = clock
        self._monotonic = monotonic
        self._results_topic = results_topic
        self._worker_id = worker_id
        self._lock = threading.Lock()
        self._running: dict[str, JobContext] = {}
        self._headers: dict[str, Headers] = {}  # jobId -> trace headers of its records (tracing on)
        self._releases: dict[str, OnAck] = {}  # jobId -> what counts its job done (on a Cancel)
        self._withdrawn: dict[str, float] = {}  # jobId -> time.monotonic() it may be forgotten
        # jobId -> when it may be forgotten, oldest first (an OrderedDict: a plain dict's oldest key
        # is found by skipping the slots of the keys deleted before it, 10x slower when full)
        self._ended: OrderedDict[str, float] = OrderedDict()
        self._skipped = {WITHDRAWN: 0, DEADLINE_PASSED: 0, DUPLICATE: 0}
        self._last_summary = time.monotonic()
        self._last_prune = time.monotonic()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._tick_loop, name="legato-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._log_summary(force=True)

    # --- the control topic -------------------------------------------------------------------

    def withdraw(self, cancel: Cancel) -> None:
        """A Cancel was read: never start that jobId. If it runs here: silence it, count its job
        done for offset storage, and signal its handler."""
        with self._lock:
            self._withdrawn[cancel["jobId"]] = time.monotonic() + KEEP_WITHDRAWN_S
            ctx = self._running.get(cancel["jobId"])
            release = self._releases.pop(cancel["jobId"], None)
        if ctx is None:
            return
        log.info("cancelling job %s (%s: %s)", ctx.job_id, cancel["reason"], cancel["message"])
        with ctx.lock:  # the ticker sends under this lock: nothing goes out for it after this
            ctx.silence()
        if release is not None:
            release()
        ctx.cancel(cancel["reason"])

    def withdrawn(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._withdrawn

    def cancel_all(self, reason: str) -> int:
        """Signal every running attempt (e.g. WorkerShutdown); returns how many there were."""
        with self._lock:
            running = list(self._running.values())
        for ctx in running:
            ctx.cancel(reason)
        return len(running)

    # --- one attempt -------------------------------------------------------------------------

    def begin(
        self,
        job: Job,
        on_skipped: OnAck,
        on_started: OnAck | None,
        headers: Headers | None = None,
        on_withdrawn: OnAck | None = None,
        on_duplicate: OnAck | None = None,
    ) -> JobContext | None:
        """Just before the handler: its context, or None when the attempt was not started.

        `on_skipped` runs once the SKIPPED record is acknowledged; `on_started` (heartbeating
        steps only) once STARTED is; `on_withdrawn` when a Cancel for it is read while it runs
        (each may run besides the release of its Result: they must be idempotent together).
        `on_duplicate` (default: `on_skipped`) runs at once, instead, for a copy of a jobId that
        runs here or ended here recently: that copy is not started and sends nothing.
        """
        deadline = job.get("deadlineAt")
        late = deadline is not None and self._clock() >= deadline
        ctx = JobContext(job, self, self._clock)
        now = self._monotonic()
        with self._lock:
            running = ctx.job_id in self._running
            until = self._ended.get(ctx.job_id)  # expired and not yet pruned: forgotten
            duplicate = running or (until is not None and until > now)
            withdrawn = not duplicate and ctx.job_id in self._withdrawn
            if duplicate:
                self._skipped[DUPLICATE] += 1
            elif withdrawn or late:
                self._remember_ended(ctx.job_id, now)
            else:
                self._running[ctx.job_id] = ctx
                if headers is not None:
                    self._headers[ctx.job_id] = headers
                if on_withdrawn is not None:
                    self._releases[ctx.job_id] = on_withdrawn
        if duplicate:
            (on_duplicate or on_skipped)()
            log.debug(
                "skipped job %s of run %s: a duplicate of the copy %s here",
                job["jobId"],
                job["runId"],
                "running" if running else "that ended",
            )
            self._log_summary()
            return None
        if withdrawn or late:
            self._skip(job, WITHDRAWN if withdrawn else DEADLINE_PASSED, on_skipped, headers)
            return None
        if on_started is not None:
            with ctx.lock:
                if not ctx.silenced:  # withdrawn just now: its offset is released already
                    ctx.mark_started(ctx.started_mono)
                    self._send(ctx, "STARTED", None, on_started)
        return ctx

    def end(self, ctx: JobContext, failed: bool) -> bool:
        """The attempt's Result is decided (before it is produced): after a failure, pending
        details go out first. False if it was decided already (by `end` from another thread: the
        SDK answered at shutdown for a handler still running), so only one Result is produced."""
        with ctx.lock:
            if ctx.closed:
                return False
            flush = ctx.close(failed)
            if flush is not None:
                self._send(ctx, flush[0], flush[1])
        with self._lock:
            if self._running.get(ctx.job_id) is ctx:
                del self._running[ctx.job_id]
                self._headers.pop(ctx.job_id, None)
                self._releases.pop(ctx.job_id, None)
            self._remember_ended(ctx.job_id, self._monotonic())
        return True

    def _remember_ended(self, job_id: str, now: float) -> None:
        """Called with the lock held: a later copy of `job_id` is a duplicate for KEEP_ENDED_S."""
        ended = self._ended
        ended[job_id] = now + KEEP_ENDED_S
        ended.move_to_end(job_id)  # run again once expired (not yet pruned): now the newest
        if len(ended) > KEEP_ENDED_MAX:
            ended.popitem(last=False)

    def _forget_ended(self, now: float) -> None:
        """Called with the lock held: drop the expired jobIds, all at the front (oldest first)."""
        ended = self._ended
        while ended:
            job_id, until = next(iter(ended.items()))
            if until > now:
                return
            del ended[job_id]

    def wake(self) -> None:
        """A heartbeat is due now (called by `JobContext.heartbeat`)."""
        self._wake.set()

    # --- sending -----------------------------------------------------------------------------

    def _progress(self, ctx_or_job: JobContext | Job, kind: ProgressKind, details: str | None) -> Progress:
        job = ctx_or_job.job if isinstance(ctx_or_job, JobContext) else ctx_or_job
        now = self._clock()
        return {
            "jobId": job["jobId"],
            "runId": job["runId"],
            "stepId": job["stepId"],
            "attempt": job["attempt"],
            "action": job["action"],
            "kind": kind,
            "details": details,
            "reason": None,
            "workerId": self._worker_id,
            "sdk": SDK,
            "startedAt": ctx_or_job.started_at if isinstance(ctx_or_job, JobContext) else now,
            "at": now,
        }

    def _send(self, ctx: JobContext, kind: str, details: str | None, on_ack: OnAck | None = None) -> None:
        """Called with `ctx.lock` held, so a Progress is always produced before its Result."""
        progress = self._progress(ctx, "STARTED" if kind == "STARTED" else "HEARTBEAT", details)
        self._publish(
            encode_progress(progress), ctx.run_id, on_ack or _nothing, self._headers.get(ctx.job_id)
        )

    def _publish(self, value: bytes, key: str, on_ack: OnAck, headers: Headers | None) -> None:
        if headers is None:  # untraced
            self._publisher.publish(self._results_topic, value, key, on_ack)
        else:
            self._publisher.publish(self._results_topic, value, key, on_ack, headers=headers)

    def _skip(self, job: Job, reason: str, on_ack: OnAck, headers: Headers | None = None) -> None:
        progress = self._progress(job, "SKIPPED", None)
        progress["reason"] = reason
        self._publish(encode_progress(progress), job["runId"], on_ack, headers)
        log.debug("skipped job %s of run %s: %s", job["jobId"], job["runId"], reason)
        with self._lock:
            self._skipped[reason] += 1
        self._log_summary()

    def _log_summary(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            total = sum(self._skipped.values())
            if total == 0 or (not force and now - self._last_summary < SUMMARY_EVERY_S):
                return
            counts = dict(self._skipped)
            self._skipped = dict.fromkeys(self._skipped, 0)
            self._last_summary = now
        log.info(
            "skipped %d stale attempts (deadline passed: %d, withdrawn: %d, duplicate: %d)",
            total,
            counts[DEADLINE_PASSED],
            counts[WITHDRAWN],
            counts[DUPLICATE],
        )

    # --- the ticker --------------------------------------------------------------------------

    def _tick_loop(self) -> None:
        while not self._closed.is_set():
            self._wake.clear()  # a wake-up during the tick makes the next wait return at once
            try:
                wait = self._tick(time.monotonic())
            except Exception:  # never let reporting die; the next tick tries again
                log.exception("progress reporting failed")
                wait = TICK_S
            self._wake.wait(wait)

    def _tick(self, now: float) -> float:
        """Send what is due; returns how long to sleep (at most TICK_S)."""
        with self._lock:
            running = list(self._running.values())
        next_due = now + TICK_S
        for ctx in running:
            if ctx.stop_by is not None and now >= ctx.stop_by:
                ctx.cancel("StartToCloseTimeout")
            with ctx.lock:
                due = ctx.due_progress(now)
                if due is not None:
                    self._send(ctx, due[0], due[1])
                at = ctx.next_due
            if at is not None and at < next_due:
                next_due = at
        if now - self._last_summary >= SUMMARY_EVERY_S:
            self._log_summary()
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._prune(now)
        return max(next_due - time.monotonic(), 0.0)

    def _prune(self, now: float) -> None:
        self._last_prune = now
        with self._lock:
            expired = [job_id for job_id, until in self._withdrawn.items() if until <= now]
            for job_id in expired:
                del self._withdrawn[job_id]
            self._forget_ended(self._monotonic())  # the clock its expiry times come from


def _nothing() -> None:
    return None
