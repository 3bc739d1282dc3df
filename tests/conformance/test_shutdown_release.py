"""Shutdown never costs an attempt: when the drain limit passes, every attempt still running is
answered FAILED `WorkerShutdown` (retryable), which the orchestrator queues again without using an
attempt; its offset is committed, so Kafka does not redeliver the job as well (docs/protocol.md,
item 15).

Each test stops its own worker with SIGTERM (LEGATO_SHUTDOWN_TIMEOUT_MS=1000). Both run two jobs at
once: the heartbeating one the issue describes, and one without a heartbeat timeout, whose offset
can only be stored once its Result is acknowledged (a heartbeating job's is stored at STARTED
already, item 16), so the commit really shows that the WorkerShutdown Result was answered.
"""

import json
import time
from collections.abc import Callable

from conformance_harness import Wire, WorkerProcess

from legato_protocol import Job, Result

WORKER_ENV = {"LEGATO_SHUTDOWN_TIMEOUT_MS": "1000"}
RELEASED = "the worker shut down before the attempt ended; it is queued again without using an attempt"
EXIT_WITHIN_S = 20.0  # drain 1 s + the SDK's grace (1-2 s) + closing; the handlers would run 60 s


def assert_released(wire: Wire, job: Job, *, raised: bool) -> Result:
    """One FAILED WorkerShutdown Result for `job`, retryable, nothing after it. `raised`: the
    handler raised on its cancellation (its message is appended), else it was still running."""
    result = wire.result(job, timeout=10)
    wire.read_to_end()  # the worker has exited: everything it wrote is on the topic
    assert result["status"] == "FAILED", result
    failure = result["failure"]
    assert failure is not None, result
    assert failure["type"] == "WorkerShutdown", failure
    assert failure["nonRetryable"] is False, failure
    if raised:
        assert failure["message"].startswith(RELEASED + ": "), failure
    else:
        assert failure["message"] == RELEASED, failure
    assert failure["details"] is None, failure
    assert failure["stackTrace"] is None, failure
    assert result["attempt"] == job["attempt"], result
    assert wire.delivered.count(job["jobId"]) == 1, f"{wire.delivered.count(job['jobId'])} Results"
    assert wire.kinds(job)[-1] == "RESULT", f"Progress after the Result: {wire.kinds(job)}"
    return result


def stop(worker: WorkerProcess) -> None:
    worker.terminate()
    assert worker.wait(timeout=EXIT_WITHIN_S) == 0, "exit code after SIGTERM" + worker.diagnostics()


def test_a_cancelled_handler_is_released(wire: Wire, start_worker: Callable[..., WorkerProcess]) -> None:
    worker = start_worker()
    job = wire.job("wait-cancel", {"ms": 60000}, heartbeat_timeout_ms=3000)
    plain = wire.job("wait-cancel", {"ms": 60000})
    worker.wait_for_line(f"STARTED {job['jobId']}")
    worker.wait_for_line(f"STARTED {plain['jobId']}")

    stop(worker)
    assert worker.printed(f"CANCELLED {job['jobId']} WorkerShutdown"), worker.diagnostics()
    assert worker.printed(f"CANCELLED {plain['jobId']} WorkerShutdown"), worker.diagnostics()
    assert_released(wire, job, raised=True)
    assert_released(wire, plain, raised=True)
    assert wire.kinds(job) == ["STARTED", "RESULT"], "no heartbeat details were given"
    wire.await_committed_to_end("wait-cancel", 1, timeout=10)


def test_a_handler_still_running_is_released_by_the_sdk(
    wire: Wire, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker()
    job = wire.job("ignore-cancel", {"ms": 60000, "heartbeat": True}, heartbeat_timeout_ms=3000)
    plain = wire.job("ignore-cancel", {"ms": 60000})
    worker.wait_for_line(f"STARTED {plain['jobId']}")
    # a heartbeat sent: from here the handler keeps heartbeating through the drain and the grace
    before = wire.await_progress(job, "HEARTBEAT")
    beats = [_beat(p["details"]) for p in before if p["details"] is not None]

    sent = time.monotonic()
    stop(worker)
    assert time.monotonic() - sent < EXIT_WITHIN_S
    assert not worker.printed(f"IGNORED {job['jobId']}"), "the handler ended; it should still run"
    assert_released(wire, job, raised=False)
    assert_released(wire, plain, raised=False)
    progress = wire.progress_of(job)
    last = _beat(progress[-1]["details"])
    assert last > max(beats), f"the details pending at shutdown did not go out first: {progress}"
    wire.await_committed_to_end("ignore-cancel", 1, timeout=10)


def _beat(details: str | None) -> int:
    """`i` of the details {"i": i} the `ignore-cancel` handler heartbeats."""
    assert details is not None
    value = json.loads(details)
    assert isinstance(value, dict) and isinstance(value.get("i"), int), details
    return int(value["i"])
