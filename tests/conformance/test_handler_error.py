"""A handler error is a FAILED Result with the failure envelope, never a success."""

import json

from conformance_harness import Wire, WorkerProcess

PLAIN_ERROR_TYPE = {"python": "RuntimeError", "node": "Error", "java": "RuntimeException"}


def test_application_error_maps_onto_the_envelope(wire: Wire, worker: WorkerProcess) -> None:
    payload = {"order": "ord-7", "n": [1, 2]}
    result = wire.result(wire.job("fail", payload))

    assert result["status"] == "FAILED"
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "ConformanceError"
    assert failure["message"] == "boom"
    assert failure["nonRetryable"] is False
    assert failure["details"] is not None
    assert json.loads(failure["details"]) == {"payload": payload}
    assert failure["stackTrace"]


def test_plain_runtime_error_uses_the_class_name(wire: Wire, worker: WorkerProcess, language: str) -> None:
    result = wire.result(wire.job("fail-plain", {"x": 1}))

    assert result["status"] == "FAILED"
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == PLAIN_ERROR_TYPE[language]
    assert failure["message"] == "plain failure"
    assert failure["nonRetryable"] is False
    assert failure["details"] is None
