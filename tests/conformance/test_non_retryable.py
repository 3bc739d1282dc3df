"""NonRetryableError sets nonRetryable, so the orchestrator skips the remaining retries."""

import json

from conformance_harness import Wire, WorkerProcess


def test_non_retryable_error_with_details(wire: Wire, worker: WorkerProcess) -> None:
    result = wire.result(wire.job("nonretryable", {"card": "4000000000000000"}))

    assert result["status"] == "FAILED"
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "CardDeclined"
    assert failure["message"] == "declined"
    assert failure["nonRetryable"] is True
    assert failure["details"] is not None
    assert json.loads(failure["details"]) == {"code": "51"}
