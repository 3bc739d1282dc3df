"""The Python SDK's conformance worker: the actions every SDK implements identically.

LEGATO_CONFORMANCE_CLOCK_OFFSET_MS (an integer, default 0) shifts the worker's clock from the
system's: a test hook of this worker only, through the SDK's `clock` option.
"""

import os
import sys
import time
from typing import Any

from legato_worker import (
    ApplicationError,
    AttemptCancelled,
    JobContext,
    NonRetryableError,
    Worker,
    WorkerFatalError,
    current_job,
)


def _clock_offset_ms() -> int:
    raw = os.environ.get("LEGATO_CONFORMANCE_CLOCK_OFFSET_MS", "").strip()
    return int(raw) if raw else 0


_OFFSET_MS = _clock_offset_ms()
worker = Worker(clock=lambda: time.time_ns() // 1_000_000 + _OFFSET_MS)


def say(line: str) -> None:
    """One write per line, so lines printed by handler threads at once never share a line."""
    print(line + "\n", end="", flush=True)


@worker.action("echo")
def echo(payload: Any) -> Any:
    return {"echo": payload, "sdk": "python"}


@worker.action("fail")
def fail(payload: Any) -> Any:
    raise ApplicationError("boom", type="ConformanceError", details={"payload": payload})


@worker.action("fail-plain")
def fail_plain(payload: Any) -> Any:
    raise RuntimeError("plain failure")


@worker.action("nonretryable")
def nonretryable(payload: Any) -> Any:
    raise NonRetryableError("declined", type="CardDeclined", details={"code": "51"})


@worker.action("slow")
def slow(payload: Any) -> Any:
    say(f"STARTED {current_job()['jobId']}")
    time.sleep(payload["ms"] / 1000)
    return {"slept": payload["ms"]}


@worker.action("big")
def big(payload: Any) -> Any:
    return "x" * int(payload["bytes"])


@worker.action("nan")
def nan(payload: Any) -> Any:
    return {"value": float("nan")}


def _descend(depth: int) -> int:
    return _descend(depth + 1) + 1


@worker.action("recurse")
def recurse(payload: Any) -> Any:
    return _descend(0)


@worker.action("count")
def count(payload: Any) -> Any:
    say(f"RAN {current_job()['jobId']}")
    return {"ok": True}


@worker.action("heartbeat")
def heartbeat(payload: Any, ctx: JobContext) -> Any:
    last = ctx.last_heartbeat_details
    done = last.get("done") if isinstance(last, dict) else None
    start = done if isinstance(done, int) and not isinstance(done, bool) else 0
    say(f"RESUMED {ctx.job_id} {start}")
    for i in range(start + 1, payload["beats"] + 1):
        if ctx.cancelled.wait(payload["intervalMs"] / 1000):
            raise AttemptCancelled(ctx.cancel_reason)
        ctx.heartbeat({"done": i})
        if payload.get("failAt") == i:
            raise ApplicationError(f"failed at {i}", type="Interrupted")
    if ctx.cancelled.wait(payload.get("holdMs", 0) / 1000):  # work on, without heartbeating
        raise AttemptCancelled(ctx.cancel_reason)
    return {"done": payload["beats"], "resumedFrom": start, "attempt": ctx.attempt}


@worker.action("wait-cancel")
def wait_cancel(payload: Any, ctx: JobContext) -> Any:
    say(f"STARTED {ctx.job_id}")
    if ctx.cancelled.wait(payload.get("ms", 30000) / 1000):
        say(f"CANCELLED {ctx.job_id} {ctx.cancel_reason}")
        raise AttemptCancelled(ctx.cancel_reason)
    return {"cancelled": False}


@worker.action("ignore-cancel")
def ignore_cancel(payload: Any, ctx: JobContext) -> Any:
    """Sleeps through its cancellation (never waking on it), heartbeating if asked."""
    say(f"STARTED {ctx.job_id}")
    end = time.monotonic() + payload.get("ms", 30000) / 1000
    i = 0
    while (remaining := end - time.monotonic()) > 0:
        time.sleep(min(0.1, remaining))
        i += 1
        if payload.get("heartbeat") is True:
            ctx.heartbeat({"i": i})
    say(f"IGNORED {ctx.job_id} {ctx.cancel_reason or 'none'}")
    return {"ignored": True}


if __name__ == "__main__":
    try:
        worker.start()
    except WorkerFatalError:  # already logged by the worker, as one ERROR line
        sys.exit(1)
