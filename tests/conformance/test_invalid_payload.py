"""A Job whose payload is not JSON is answered with FAILED InvalidPayload; the handler never runs."""

from conformance_harness import Wire, WorkerProcess


def test_non_json_payload_fails_without_running_the_handler(wire: Wire, worker: WorkerProcess) -> None:
    bad = wire.job("count", None, payload_text="{not json")
    result = wire.result(bad)

    assert result["status"] == "FAILED", result
    assert result["output"] is None
    failure = result["failure"]
    assert failure is not None
    assert failure["type"] == "InvalidPayload", failure
    assert failure["nonRetryable"] is True

    good = wire.job("count", {"n": 1})  # same action, valid payload: the handler runs and says so
    assert wire.result(good)["status"] == "COMPLETED"
    worker.wait_for_line(f"RAN {good['jobId']}")
    assert worker.count(f"RAN {bad['jobId']}") == 0, "the handler ran on an invalid payload"
