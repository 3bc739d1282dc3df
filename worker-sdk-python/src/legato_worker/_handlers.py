"""Handlers: registration rules, the job context, and turning one job into one Result."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal, NamedTuple

from legato_protocol import Failure, Job, Result, topics
from legato_worker._clock import Clock, system_clock
from legato_worker._context import JobContext
from legato_worker._errors import (
    AttemptCancelled,
    failure_from_exception,
    simple_failure,
    to_json,
)
from legato_worker._typed import converter, typed
from legato_worker._version import SDK

Handler = (
    Callable[[Any], Any]
    | Callable[[Any], Awaitable[Any]]
    | Callable[[Any, JobContext], Any]
    | Callable[[Any, JobContext], Awaitable[Any]]
)

_current_job: contextvars.ContextVar[JobContext] = contextvars.ContextVar("legato_current_job")


def current_job() -> JobContext:
    """The context of the attempt whose handler is running (`job_id`, `attempt`, `heartbeat()`,
    `cancelled`, ...; also `ctx["jobId"]`); only inside a handler."""
    try:
        return _current_job.get()
    except LookupError:
        raise RuntimeError("current_job() is only available while a handler runs") from None


class Registered(NamedTuple):
    handler: Handler
    is_async: bool
    with_context: bool
    """Called as `handler(payload, ctx)`: it declares a second positional parameter without default."""


def is_async(handler: Handler) -> bool:
    call = getattr(handler, "__call__", None)  # noqa: B004 - async callable objects
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)


def takes_context(handler: Handler) -> bool:
    """Whether `handler` has at least two positional parameters without defaults."""
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: payload only
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in params if p.kind in positional and p.default is inspect.Parameter.empty]
    return len(required) >= 2


def registered(handler: Handler) -> Registered:
    """How the worker calls `handler`; a typed handler (legato_worker._typed) is wrapped once, here,
    in its input and output conversion. Raises TypeError for type hints pydantic cannot validate."""
    entry = Registered(handler, is_async(handler), takes_context(handler))
    convert = converter(handler)
    if convert is None:
        return entry
    return entry._replace(handler=typed(handler, convert, entry.is_async))


def check_action(action: str) -> None:
    if not isinstance(action, str) or not topics.valid_action(action):
        raise ValueError(
            f"invalid action name {action!r}: must match {topics.ACTION_PATTERN.pattern}"
            f" and not be one of {sorted(topics.RESERVED_ACTIONS)}"
        )


class InvalidPayloadError(Exception):
    """The job's payload is not JSON text (a bug in whoever produced the job)."""


def parse_payload(job: Job) -> Any:
    try:
        return json.loads(job["payload"])
    except ValueError as exc:
        raise InvalidPayloadError(f"job payload is not valid JSON: {exc}") from None


def make_result(
    job: Job,
    worker_id: str,
    started_at: int,
    status: Literal["COMPLETED", "FAILED"],
    output: str | None,
    failure: Failure | None,
    clock: Clock = system_clock,
) -> Result:
    return {
        "jobId": job["jobId"],
        "runId": job["runId"],
        "stepId": job["stepId"],
        "attempt": job["attempt"],
        "action": job["action"],
        "status": status,
        "output": output,
        "failure": failure,
        "workerId": worker_id,
        "sdk": SDK,
        "traceparent": job.get("traceparent"),
        "correlationId": job.get("correlationId"),
        "startedAt": started_at,
        "finishedAt": clock(),
    }


def completed_or_serialisation_failure(
    job: Job, worker_id: str, started_at: int, value: Any, clock: Clock = system_clock
) -> Result:
    try:
        output = to_json(value)
    except Exception as exc:  # TypeError, ValueError (NaN, Infinity, cycles), RecursionError
        failure = simple_failure(
            "SerializationError",
            f"handler returned a value that is not strict JSON: {type(exc).__name__}: {exc}",
            non_retryable=True,
        )
        return make_result(job, worker_id, started_at, "FAILED", None, failure, clock)
    return make_result(job, worker_id, started_at, "COMPLETED", output, None, clock)


def failed(
    job: Job, worker_id: str, started_at: int, exc: BaseException, clock: Clock = system_clock
) -> Result:
    if isinstance(exc, InvalidPayloadError):
        failure = simple_failure("InvalidPayload", str(exc), non_retryable=True)
    else:
        failure = failure_from_exception(exc)
    return make_result(job, worker_id, started_at, "FAILED", None, failure, clock)


def unknown_action(job: Job, worker_id: str, clock: Clock = system_clock) -> Result:
    failure = simple_failure(
        "UnknownAction",
        f"no handler for action {job['action']!r} in worker {worker_id}",
        non_retryable=True,
    )
    return make_result(job, worker_id, clock(), "FAILED", None, failure, clock)


_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})
"""What handlers return most: never awaitable (`inspect.isawaitable` tries the Awaitable ABC)."""


def _call(handler: Handler, payload: Any, ctx: JobContext, with_context: bool) -> Any:
    return handler(payload, ctx) if with_context else handler(payload)  # type: ignore[call-arg]


def run_sync(
    handler: Handler,
    job: Job,
    worker_id: str,
    run_awaitable: Callable[[Awaitable[Any]], Any],
    ctx: JobContext | None = None,
    with_context: bool = False,
) -> Result:
    """Run a synchronous handler on the calling thread; an awaitable it returns is awaited."""
    ctx = JobContext(job) if ctx is None else ctx
    token = _current_job.set(ctx)
    try:
        value = _call(handler, parse_payload(job), ctx, with_context)
        if type(value) not in _PLAIN and inspect.isawaitable(value):
            value = run_awaitable(value)
    except Exception as exc:
        return failed(job, worker_id, ctx.started_at, exc, ctx.clock)
    finally:
        _current_job.reset(token)
    return completed_or_serialisation_failure(job, worker_id, ctx.started_at, value, ctx.clock)


async def run_async(
    handler: Handler,
    job: Job,
    worker_id: str,
    ctx: JobContext | None = None,
    with_context: bool = False,
) -> Result:
    """Run a coroutine handler; called inside its own task, so the job context is per task.

    A cancelled attempt cancels that task: the CancelledError the handler lets through becomes a
    FAILED `AttemptCancelled` result (any other cancellation of the task propagates).
    """
    ctx = JobContext(job) if ctx is None else ctx
    _current_job.set(ctx)
    try:
        value = _call(handler, parse_payload(job), ctx, with_context)
        if inspect.isawaitable(value):
            value = await value
    except asyncio.CancelledError:
        if ctx.cancel_reason is None:  # not our cancellation
            raise
        return failed(job, worker_id, ctx.started_at, AttemptCancelled(ctx.cancel_reason), ctx.clock)
    except Exception as exc:
        return failed(job, worker_id, ctx.started_at, exc, ctx.clock)
    return completed_or_serialisation_failure(job, worker_id, ctx.started_at, value, ctx.clock)
