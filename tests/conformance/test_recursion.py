"""Unbounded recursion in a handler is a FAILED Result (the language's error type); the worker lives on."""

from conformance_harness import Wire, WorkerProcess

ERROR_TYPE = {"python": "RecursionError", "node": "RangeError", "java": "StackOverflowError"}


def test_stack_overflow_is_answered(wire: Wire, worker: WorkerProcess, language: str) -> None:
    result = wire.result(wire.job("recurse", {}))

    assert result["status"] == "FAILED", result
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == ERROR_TYPE[language], failure
    assert len(failure["message"]) <= 4096
    assert failure["stackTrace"] is None or len(failure["stackTrace"]) <= 16384 + len("...[truncated]")
    assert wire.result(wire.job("echo", "after"))["status"] == "COMPLETED"
    assert worker.alive(), worker.diagnostics()
