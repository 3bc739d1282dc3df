"""Protocol v2 cancellation: a Cancel on the control topic, startToCloseMs and the shutdown drain
limit each signal a running handler (the `wait-cancel` action prints CANCELLED <jobId> <reason>).

The shutdown test stops the module's worker, so it comes last.
"""

import time

from conformance_harness import Wire, WorkerProcess

WORKER_ENV = {"LEGATO_SHUTDOWN_TIMEOUT_MS": "1000"}
SIGNAL_WITHIN_S = 3.0


def _cancelled_within(worker: WorkerProcess, marker: str, since: float, limit: float) -> None:
    worker.wait_for_line(marker, timeout=limit + 5)
    at = worker.line_time(marker)
    assert at is not None
    assert at - since <= limit, f"{marker!r} took {at - since:.1f} s (limit {limit} s)"


def test_a_cancel_signals_the_running_handler(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("wait-cancel", {"ms": 30000})
    worker.wait_for_line(f"STARTED {job['jobId']}")

    cancel = wire.cancel(job, "RunCancelled")
    sent = time.monotonic()
    _cancelled_within(worker, f"CANCELLED {job['jobId']} RunCancelled", sent, SIGNAL_WITHIN_S)
    result = wire.result(job, timeout=10)  # a cancelled handler's outcome is still sent (late)
    assert result["attempt"] == cancel["attempt"]
    assert result["status"] == "FAILED", "the handler raised its cancellation error"


def test_start_to_close_elapsing_signals_the_handler(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("wait-cancel", {"ms": 30000}, start_to_close_ms=1000)
    worker.wait_for_line(f"STARTED {job['jobId']}")
    started = worker.line_time(f"STARTED {job['jobId']}")
    assert started is not None

    _cancelled_within(worker, f"CANCELLED {job['jobId']} StartToCloseTimeout", started, 1 + SIGNAL_WITHIN_S)
    result = wire.result(job, timeout=10)
    assert result["jobId"] == job["jobId"]


def test_an_uncancelled_wait_completes(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("wait-cancel", {"ms": 200}, start_to_close_ms=60000)
    result = wire.result(job)
    assert result["status"] == "COMPLETED", result
    assert result["output"] is not None and result["output"].replace(" ", "") == '{"cancelled":false}'
    assert not worker.printed(f"CANCELLED {job['jobId']}")


def test_the_drain_limit_cancels_handlers_still_running(wire: Wire, worker: WorkerProcess) -> None:
    job = wire.job("wait-cancel", {"ms": 30000})
    worker.wait_for_line(f"STARTED {job['jobId']}")

    worker.terminate()
    sent = time.monotonic()
    # LEGATO_SHUTDOWN_TIMEOUT_MS=1000: the drain waits 1 s, then signals WorkerShutdown
    _cancelled_within(worker, f"CANCELLED {job['jobId']} WorkerShutdown", sent, 1 + SIGNAL_WITHIN_S)
    assert worker.wait(timeout=20) == 0, "exit code after SIGTERM" + worker.diagnostics()
    result = wire.result(job, timeout=10)  # the cancelled handler's outcome went out before exit
    assert result["status"] == "FAILED", result
    assert result["failure"] is not None and result["failure"]["type"] == "WorkerShutdown", result
