"""Lost attempts time out and are retried; late results are ignored; garbage goes to the DLTs."""

import threading
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer

from harness.api import define, events, trigger, unique, wait_run
from harness.cli import dead_letters, legato
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_attempt_without_result_times_out_is_retried_and_its_late_result_ignored(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, action = unique("slowpoke"), unique("slow")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"action": action, "stepIndex": 0, "timeoutSeconds": 1, "retry": {"initialDelayMs": 50}}
            ],
        },
    )
    release = threading.Event()
    calls: list[int] = []

    def slow(payload: int) -> str:
        calls.append(payload)
        if len(calls) == 1:
            release.wait(20)  # hangs past the 1 s timeout, until the retry has completed
            return "late"
        return "fresh"

    run_id = trigger(api, wid, 7)
    with running_worker(orchestrator, {action: slow}):
        run = wait_run(api, run_id)
        release.set()
        until(lambda: any(e["type"] == "RESULT_IGNORED" for e in events(api, run_id)))
    assert run["status"] == "COMPLETED"
    assert run["output"] == "fresh"
    assert run["steps"][0]["attempts"] == 2
    history = events(api, run_id)
    timed_out = [e for e in history if e["type"] == "STEP_TIMED_OUT"]
    assert len(timed_out) == 1
    assert timed_out[0]["attempt"] == 1
    assert timed_out[0]["data"]["type"] == "StartToCloseTimeout"
    ignored = next(e for e in history if e["type"] == "RESULT_IGNORED")
    assert ignored["attempt"] == 1
    assert ignored["data"]["attemptState"] == "TIMED_OUT"
    assert api.get(f"/workflow/run/{run_id}").json()["output"] == "fresh"


def test_undecodable_result_goes_to_the_results_dlt_and_the_engine_goes_on(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    marker = uuid.uuid4().hex.encode()
    producer = Producer(orchestrator.kafka_config())
    producer.produce(orchestrator.env["LEGATO_RESULTS_TOPIC"], b"\x00garbage " + marker, b"poison-key")
    producer.produce(
        orchestrator.env["LEGATO_RESULTS_TOPIC"], b"\xc3\x01" + b"\x00" * 8 + marker, b"poison-key"
    )
    assert producer.flush(10) == 0

    def landed() -> list[dict[str, Any]]:
        return dead_letters(orchestrator, "--results")

    def ours() -> list[dict[str, Any]]:  # the orchestrator is shared: other tests' records may be there
        return [r for r in landed() if r["reason"] == "undecodable"]

    until(lambda: len(ours()) >= 2)
    wid, action = unique("after-poison"), unique("fine")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {action: lambda p: p + 1}):
        assert wait_run(api, run_id)["output"] == 2
    shown = legato(orchestrator, "dlt", "show", "--results", ours()[0]["id"]).stdout
    assert "undecodable" in shown
    assert "legato-source-offset" in shown


def test_undecodable_job_is_dead_lettered_by_the_worker_and_cannot_be_replayed(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, action = unique("garbled"), unique("garbled-step")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    topic = f"{orchestrator.env['LEGATO_JOBS_TOPIC']}.{action}"
    producer = Producer(orchestrator.kafka_config())
    producer.produce(topic, b"definitely not avro", b"k")
    assert producer.flush(10) == 0
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, {action: lambda p: p * 3}):
        assert wait_run(api, run_id)["output"] == 3  # the partition is not blocked
        until(lambda: any(d["reason"] == "undecodable" for d in dead_letters(orchestrator, "--kafka")))
    record = next(d for d in dead_letters(orchestrator, "--kafka") if d["reason"] == "undecodable")
    refused = legato(orchestrator, "dlt", "replay", "--id", record["id"], check=False)
    assert refused.returncode == 1
    assert "undecodable" in refused.stderr
