"""Every job gets an answer: outputs that cannot be sent become FAILED results, never a stuck offset."""

import dataclasses
import json
from typing import Any

import pytest

from legato_worker import ApplicationError, Worker, WorkerSettings

pytestmark = pytest.mark.integration

LIMIT = 1000


def test_unsendable_outputs_become_non_retryable_failures(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    settings = dataclasses.replace(settings, max_payload_bytes=LIMIT)
    kafka.settings = settings
    actions = ["big", "nan", "inf", "surrogate", "cycle", "recurse", "fits", "parse", "loud"]
    kafka.create_topics(actions)
    calls: list[str] = []
    worker = Worker(settings=settings)
    worker.register("big", lambda p: "x" * p["bytes"])
    worker.register("fits", lambda p: "x" * p["bytes"])
    worker.register("nan", lambda _: {"value": float("nan")})
    worker.register("inf", lambda _: [float("-inf")])
    worker.register("surrogate", lambda _: {"text": "\udc80"})
    cycle: list[Any] = []
    cycle.append(cycle)
    worker.register("cycle", lambda _: cycle)

    def recurse(_: Any) -> Any:
        return recurse(_) + 1

    worker.register("recurse", recurse)
    worker.register("parse", calls.append)

    def loud(_: Any) -> Any:
        raise ApplicationError("m" * 10_000, type="Loud", details={"blob": "d" * 70_000})

    worker.register("loud", loud)
    jobs = {
        "big": kafka.job("big", {"bytes": 2000}),
        "fits": kafka.job("fits", {"bytes": LIMIT - 2}),  # 998 x's + 2 quotes = exactly the limit
        "nan": kafka.job("nan", {}),
        "inf": kafka.job("inf", {}),
        "surrogate": kafka.job("surrogate", {}),
        "cycle": kafka.job("cycle", {}),
        "recurse": kafka.job("recurse", {}),
        "parse": kafka.job("parse", None, payload_text="{not json"),
        "loud": kafka.job("loud", {}),
    }
    running = run_worker(worker)
    results = {a: kafka.result(job) for a, job in jobs.items()}

    assert results["fits"]["status"] == "COMPLETED"
    assert json.loads(results["fits"]["output"]) == "x" * (LIMIT - 2)
    big = results["big"]
    assert (big["status"], big["output"], big["failure"]["type"]) == ("FAILED", None, "ResultTooLarge")
    assert big["failure"]["nonRetryable"] is True
    assert "2002 bytes" in big["failure"]["message"] and f"{LIMIT} bytes" in big["failure"]["message"]
    for action in ("nan", "inf", "surrogate", "cycle"):
        failure = results[action]["failure"]
        assert (results[action]["status"], failure["type"]) == ("FAILED", "SerializationError"), action
        assert failure["nonRetryable"] is True
    assert results["recurse"]["failure"]["type"] == "RecursionError"
    parse = results["parse"]["failure"]
    assert (parse["type"], parse["nonRetryable"]) == ("InvalidPayload", True)
    assert calls == []
    loud_failure = results["loud"]["failure"]
    assert len(loud_failure["message"]) == 4096 and loud_failure["message"].endswith("...[truncated]")
    assert json.loads(loud_failure["details"]) == {"truncated": True, "bytes": len('{"blob":""}') + 70_000}
    assert len(loud_failure["stackTrace"]) <= 16_384
    running.stop()
    assert all(kafka.committed(a) == 1 for a in actions)


def test_result_the_broker_refuses_as_too_large(
    kafka: Any, settings: WorkerSettings, run_worker: Any
) -> None:
    # The topic takes at most 20 kB per batch, far below LEGATO_MAX_PAYLOAD_BYTES: Kafka refuses
    # the result itself, and the worker sends a FAILED ResultTooLarge in its place.
    kafka.create_topics(["wide"], results_config={"max.message.bytes": "20000"})
    runs: list[Any] = []
    worker = Worker(settings=settings)

    def wide(payload: Any) -> Any:
        runs.append(payload)
        return "y" * 50_000

    worker.register("wide", wide)
    job = kafka.job("wide", {"n": 1})
    after = kafka.job("wide", {"n": 2})
    running = run_worker(worker)

    refused = kafka.result(job)
    assert (refused["status"], refused["failure"]["type"]) == ("FAILED", "ResultTooLarge")
    assert refused["failure"]["nonRetryable"] is True
    assert kafka.result(after)["failure"]["type"] == "ResultTooLarge"
    running.stop()
    assert sorted(p["n"] for p in runs) == [1, 2]  # never re-run
    assert kafka.committed("wide") == 2
