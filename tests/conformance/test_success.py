"""A handler's return value becomes a COMPLETED Result that echoes the Job's identity."""

import json

from conformance_harness import Wire, WorkerProcess

IDENTITY = ("jobId", "runId", "stepId", "attempt", "action", "traceparent", "correlationId")


def test_echo_completes_with_output_and_identity(wire: Wire, worker: WorkerProcess, language: str) -> None:
    payload = {"order": {"id": "ord-42", "total": 129.95}, "who": "Zoë 東京 🎵", "tags": [1, None]}
    job = wire.job("echo", payload)
    result = wire.result(job)

    assert result["status"] == "COMPLETED"
    assert result["failure"] is None
    assert result["output"] is not None
    assert json.loads(result["output"]) == {"echo": payload, "sdk": language}
    for field in IDENTITY:
        assert result[field] == job[field], field  # type: ignore[literal-required]
    assert wire.result_keys[job["jobId"]] == job["runId"].encode()
    assert result["workerId"] == f"conformance-{language}-0"
    assert result["sdk"].startswith(f"{language}/")
    assert 0 < result["startedAt"] <= result["finishedAt"]


def test_json_scalars_round_trip(wire: Wire, worker: WorkerProcess) -> None:
    payloads = ["Hello World", 42, 1.5, True, None, [], {}]
    jobs = [wire.job("echo", p) for p in payloads]
    for payload, job in zip(payloads, jobs, strict=True):
        result = wire.result(job)
        assert result["output"] is not None
        assert json.loads(result["output"])["echo"] == payload


def test_many_jobs_all_complete(wire: Wire, worker: WorkerProcess) -> None:
    jobs = [wire.job("echo", i) for i in range(30)]
    for job in jobs:
        assert wire.result(job)["status"] == "COMPLETED"
