"""A Job for an action the worker never registered (on the wrong topic) is answered, not run."""

from conformance_harness import Wire, WorkerProcess


def test_unknown_action_fails_non_retryable(wire: Wire, worker: WorkerProcess) -> None:
    stray = wire.job("no-such-action", {"x": 1}, topic_action="echo")
    result = wire.result(stray)

    assert result["status"] == "FAILED"
    assert result["action"] == "no-such-action"
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "UnknownAction"
    assert failure["nonRetryable"] is True
    after = wire.job("echo", "still alive")
    assert wire.result(after)["status"] == "COMPLETED"
