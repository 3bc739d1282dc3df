"""An output that is not strict JSON (NaN) is answered with FAILED SerializationError."""

from conformance_harness import Wire, WorkerProcess


def test_nan_output_fails_non_retryable(wire: Wire, worker: WorkerProcess) -> None:
    result = wire.result(wire.job("nan", {}))

    assert result["status"] == "FAILED", result
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "SerializationError", failure
    assert failure["nonRetryable"] is True
    assert wire.result(wire.job("echo", "after"))["status"] == "COMPLETED"
