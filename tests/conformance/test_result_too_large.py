"""An output over LEGATO_MAX_PAYLOAD_BYTES is answered with FAILED ResultTooLarge, never dropped."""

import json

from conformance_harness import Wire, WorkerProcess

LIMIT = 100_000
WORKER_ENV = {"LEGATO_MAX_PAYLOAD_BYTES": str(LIMIT)}


def test_oversized_output_fails_non_retryable(wire: Wire, worker: WorkerProcess) -> None:
    result = wire.result(wire.job("big", {"bytes": 2 * LIMIT}))

    assert result["status"] == "FAILED", result
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "ResultTooLarge", failure
    assert failure["nonRetryable"] is True
    assert str(LIMIT) in failure["message"], failure["message"]
    assert len(failure["message"]) <= 4096


def test_the_next_jobs_still_work(wire: Wire, worker: WorkerProcess) -> None:
    small = wire.result(wire.job("big", {"bytes": 1000}))
    assert small["status"] == "COMPLETED", small
    assert small["output"] is not None
    assert json.loads(small["output"]) == "x" * 1000
    assert wire.result(wire.job("echo", "after"))["status"] == "COMPLETED"
    assert worker.alive(), worker.diagnostics()
