"""Shutdown never costs an attempt (docs/protocol.md, item 15).

When the drain limit passes, the attempts still running are cancelled with reason `WorkerShutdown`.
Whatever then becomes of one short of a success (it raised, or it is still running when the grace
ends and the SDK answers for it), its Result is FAILED `WorkerShutdown`, retryable: the orchestrator
queues that attempt again without using one, resumed from its last heartbeat details, so a rolling
restart of workers never burns attempts. The plain failure the handler raised would have used one.
"""

from __future__ import annotations

from legato_protocol import Failure, Job, Result
from legato_worker._clock import Clock
from legato_worker._handlers import make_result

WORKER_SHUTDOWN = "WorkerShutdown"
RELEASED = "the worker shut down before the attempt ended; it is queued again without using an attempt"


def released_failure(raised: str | None) -> Failure:
    """The failure of a released attempt; `raised` is the message of what its handler raised."""
    return {
        "type": WORKER_SHUTDOWN,
        "message": RELEASED if raised is None else f"{RELEASED}: {raised}",
        "nonRetryable": False,
        "details": None,
        "stackTrace": None,
    }


def released(result: Result) -> Result:
    """A FAILED result of an attempt cancelled by the shutdown, as the orchestrator must read it."""
    failure = result["failure"]
    return {
        **result,
        "status": "FAILED",
        "output": None,
        "failure": released_failure(None if failure is None else failure["message"]),
    }


def still_running(job: Job, worker_id: str, started_at: int, clock: Clock) -> Result:
    """The Result the SDK sends for a handler still running when the shutdown grace ended."""
    return make_result(job, worker_id, started_at, "FAILED", None, released_failure(None), clock)
