"""The job context a handler sees: the attempt's identity, heartbeats and its cancellation signal.

One `JobContext` per attempt. It is also the attempt's reporting state (STARTED sent yet, details
pending, when the last Progress went out), which `_attempts.Attempts` drives from its ticker
thread; `heartbeat()` itself only records the details and never produces to Kafka. It knows that
ticker only as a `Ticker` (something to wake), so this module does not import `_attempts`.

A withdrawn attempt (a Cancel read while it runs) is *silenced*: the orchestrator no longer
tracks it, so it reports nothing more (its heartbeats are validated, then dropped); only its late
Result still goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from legato_protocol import Job
from legato_worker._clock import Clock, system_clock
from legato_worker._errors import AttemptCancelled, SerializationError, to_json

MAX_DETAILS_BYTES = 65_536
LAZY_START_S = 1.0
DEFAULT_INTERVAL_S = 10.0
MIN_INTERVAL_S = 0.1
_UNPARSED = object()


class Ticker(Protocol):
    """What sends an attempt's due Progress records (`_attempts.Attempts`)."""

    def wake(self) -> None:
        """A heartbeat is due now: send it without waiting for the next tick."""


def details_text(details: Any) -> str:
    """Strict JSON text of heartbeat details, at most 65,536 UTF-8 bytes; else SerializationError."""
    try:
        text = to_json(details)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SerializationError(
            f"heartbeat details are not strict JSON: {type(exc).__name__}: {exc}"
        ) from None
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise SerializationError(f"heartbeat details cannot be encoded as UTF-8: {exc}") from None
    if size > MAX_DETAILS_BYTES:
        raise SerializationError(
            f"heartbeat details are {size} bytes of JSON, over the limit of {MAX_DETAILS_BYTES}"
        )
    return text


def heartbeat_interval_s(heartbeat_timeout_ms: int | None) -> float:
    """At most one Progress per attempt per interval: a third of the timeout (>= 100 ms), else 10 s."""
    if heartbeat_timeout_ms is None:
        return DEFAULT_INTERVAL_S
    return max(heartbeat_timeout_ms / 3000, MIN_INTERVAL_S)


class JobContext(Mapping[str, Any]):
    """What a running handler knows about its attempt; `legato_worker.current_job()` returns it.

    Attributes: `job_id`, `run_id`, `step_id`, `attempt`, `action`, `workflow_id`,
    `workflow_version`, `deadline_at` (epoch ms or None), `last_heartbeat_details` (an earlier
    attempt's last details, parsed; None when absent or not JSON), `cancelled` (a threading.Event)
    and `cancel_reason`. It is also a read-only mapping of the Job's wire fields: `ctx["jobId"]`.
    """

    __slots__ = (
        "_attempts",
        "_cancelled",
        "_closed",
        "_has_pending",
        "_heartbeat_sent",
        "_interval_s",
        "_last_details",
        "_last_sent",
        "_lock",
        "_loop",
        "_pending",
        "_silenced",
        "_started_sent",
        "_task",
        "action",
        "attempt",
        "cancel_reason",
        "clock",
        "deadline_at",
        "job",
        "job_id",
        "run_id",
        "started_at",
        "started_mono",
        "step_id",
        "stop_by",
        "workflow_id",
        "workflow_version",
    )

    def __init__(self, job: Job, attempts: Ticker | None = None, clock: Clock = system_clock) -> None:
        self.job = job
        self.job_id = job["jobId"]
        self.run_id = job["runId"]
        self.step_id = job["stepId"]
        self.attempt = job["attempt"]
        self.action = job["action"]
        self.workflow_id = job["workflowId"]
        self.workflow_version = job["workflowVersion"]
        self.deadline_at: int | None = job.get("deadlineAt")
        self._cancelled: threading.Event | None = None  # made on first use: most jobs never need it
        self.cancel_reason: str | None = None
        self.clock = clock
        """The worker's wall clock (epoch ms): `started_at` and the times of its records."""
        self.started_at = clock()
        self.started_mono = time.monotonic()
        limit = job.get("startToCloseMs")
        self.stop_by = None if limit is None else self.started_mono + limit / 1000
        """time.monotonic() at which startToCloseMs has elapsed: cancel (StartToCloseTimeout)."""
        self._attempts = attempts
        self._lock = threading.Lock()
        self._closed = False
        self._silenced = False
        self._started_sent = False
        self._heartbeat_sent = False  # the first HEARTBEAT after STARTED goes out at once
        self._has_pending = False
        self._pending: str | None = None
        self._last_sent = 0.0
        self._interval_s = heartbeat_interval_s(job.get("heartbeatTimeoutMs"))
        self._last_details: Any = _UNPARSED
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None

    # --- the handler's API -------------------------------------------------------------------

    @property
    def cancelled(self) -> threading.Event:
        """Set when the attempt is cancelled (`cancel_reason` says why)."""
        event = self._cancelled
        if event is None:
            with self._lock:
                if self._cancelled is None:
                    self._cancelled = threading.Event()
                event = self._cancelled
        return event

    @property
    def last_heartbeat_details(self) -> Any:
        """The last heartbeat details of an earlier attempt of this step (resume from there)."""
        if self._last_details is _UNPARSED:
            text = self.job.get("lastHeartbeatDetails")
            try:
                self._last_details = None if text is None else json.loads(text)
            except ValueError:
                self._last_details = None
        return self._last_details

    def heartbeat(self, details: Any = None) -> None:
        """Report progress; cheap and non-blocking. The first call's details go out at once; later
        calls are coalesced: at most one Progress per interval (heartbeatTimeoutMs / 3, else 10 s)
        goes out, with the latest details. `None`
        keeps the latest details given so far. Raises SerializationError for details that are not
        strict JSON or over 65,536 bytes of JSON text (also once the attempt was withdrawn, when
        the call sends nothing any more)."""
        text = None if details is None else details_text(details)
        with self._lock:
            if self._closed or self._silenced:
                return
            if text is not None:
                self._pending = text  # the latest details: every later Progress carries them
            self._has_pending = True
            due_now = self._due_at() <= time.monotonic()
        if due_now and self._attempts is not None:
            self._attempts.wake()

    def raise_if_cancelled(self) -> None:
        """Raise AttemptCancelled if the attempt was cancelled: a check point for sync handlers."""
        if self.cancel_reason is not None:
            raise AttemptCancelled(self.cancel_reason)

    # --- Mapping of the Job's fields (ctx["jobId"], as before protocol v2) ---------------------

    def __getitem__(self, key: str) -> Any:
        return self.job[key]  # type: ignore[literal-required]

    def __iter__(self) -> Iterator[str]:
        return iter(self.job)

    def __len__(self) -> int:
        return len(self.job)

    def __repr__(self) -> str:
        return f"JobContext(job_id={self.job_id!r}, run_id={self.run_id!r}, attempt={self.attempt})"

    # --- driven by the worker ----------------------------------------------------------------

    @property
    def heartbeating(self) -> bool:
        """The step has a heartbeat timeout: STARTED at once, offset stored once it is acknowledged."""
        return self.job.get("heartbeatTimeoutMs") is not None

    def cancel(self, reason: str) -> None:
        """Signal cancellation (the first reason wins); async handlers get their task cancelled."""
        with self._lock:
            if self._closed or self.cancel_reason is not None:
                return
            self.cancel_reason = reason
            if self._cancelled is None:
                self._cancelled = threading.Event()
            event = self._cancelled
        event.set()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the worker is gone
                loop.call_soon_threadsafe(self._cancel_task)

    def bind_task(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        """On the loop thread, before the handler runs: where an asyncio cancellation goes."""
        self._loop = loop
        self._task = task
        if self.cancel_reason is not None:
            task.cancel()

    def _cancel_task(self) -> None:
        task = self._task
        if task is not None and not task.done() and not self._closed:
            task.cancel()

    def due_progress(self, now: float) -> tuple[str, str | None] | None:
        """Called with `lock` held: the (kind, details) to send now, updating the state, or None."""
        if self._closed or self._silenced:
            return None
        if not self._started_sent:
            if self._has_pending or now - self.started_mono >= LAZY_START_S:
                self._heartbeat_sent = self._has_pending  # STARTED carries the first heartbeat
                return self._sent("STARTED", now)
            return None
        if self._has_pending and now >= self._due_at():
            self._heartbeat_sent = True
            return self._sent("HEARTBEAT", now)
        return None

    def _due_at(self) -> float:
        """When a pending heartbeat may go out (monotonic): at once until the first one after
        STARTED has, then one interval after the previous Progress."""
        if not self._started_sent or not self._heartbeat_sent:
            return 0.0
        return self._last_sent + self._interval_s

    def mark_started(self, now: float) -> None:
        """Called with `lock` held: STARTED goes out at once (a heartbeating step)."""
        self._started_sent = True
        self._last_sent = now

    def silence(self) -> None:
        """Called with `lock` held when the attempt was withdrawn: nothing more is reported for
        it (a pending heartbeat is dropped); its Result still goes out when the handler ends."""
        self._silenced = True
        self._has_pending = False

    @property
    def silenced(self) -> bool:
        return self._silenced

    @property
    def closed(self) -> bool:
        """Its Result is decided (the handler ended, or the SDK answered for it at shutdown)."""
        return self._closed

    def close(self, failed: bool) -> tuple[str, str | None] | None:
        """Called with `lock` held when the handler ended: the pending details to send before a
        FAILED result (so the retry resumes from them), or None; later heartbeats are ignored."""
        self._closed = True
        if failed and self._has_pending and not self._silenced:
            return self._sent("HEARTBEAT" if self._started_sent else "STARTED", time.monotonic())
        self._has_pending = False
        return None

    def _sent(self, kind: str, now: float) -> tuple[str, str | None]:
        self._started_sent = True
        self._has_pending = False
        self._last_sent = now
        return kind, self._pending

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    @property
    def next_due(self) -> float | None:
        """When this attempt may next have something to send (for the ticker's sleep), or None."""
        if self._closed or self._silenced:
            return None
        if not self._started_sent:
            return self.started_mono + LAZY_START_S
        if self._has_pending:
            return self._due_at()
        return None
