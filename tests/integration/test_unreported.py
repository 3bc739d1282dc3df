"""The backstop: an attempt queued without scheduleToStartSeconds that no worker ever reports on.

Its run would otherwise stay RUNNING forever (a result the engine cannot decode, an old worker that
dead-letters v2 jobs, a job record lost to retention). Kafka tells a lost attempt from one still
waiting in a backlog: the worker group committed past its record, or it did not.
"""

from collections.abc import Iterator

import httpx
import pytest
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import LOGS, Orchestrator
from harness.waiting import until
from harness.wire import WireWorker

pytestmark = pytest.mark.integration

BACKSTOP_MS = 1500


@pytest.fixture(scope="module")
def backstopped() -> Iterator[Orchestrator]:
    orch = Orchestrator(LOGS, LEGATO_UNREPORTED_TIMEOUT_MS=str(BACKSTOP_MS))
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def api(backstopped: Orchestrator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backstopped.url, timeout=30) as client:
        yield client


def one_step(api: httpx.Client, action: str) -> str:
    wid = unique("backstop")
    define(api, {"id": wid, "steps": [{"id": "only", "action": action, "retry": {"maxAttempts": 1}}]})
    return wid


def stuck_runs(api: httpx.Client) -> float:
    for family in text_string_to_metric_families(api.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "legato_runs_stuck_total":
                return sample.value
    return 0.0


def test_an_attempt_whose_result_cannot_be_read_is_queued_again(
    api: httpx.Client, backstopped: Orchestrator
) -> None:
    wire = WireWorker(backstopped, unique("garbled"))
    try:
        before = stuck_runs(api)
        run_id = trigger(api, one_step(api, wire.action), 1)
        first = wire.next_job()
        wire.jobs.commit(asynchronous=False)  # consumed, as a worker does once it has answered
        # ... with a result the engine cannot decode (it goes to the results DLT)
        producer = Producer(backstopped.kafka_config())
        producer.produce(backstopped.env["LEGATO_RESULTS_TOPIC"], value=b"\x00garbled", key=first["runId"])
        assert producer.flush(10) == 0
        second = wire.next_job(timeout=30)
        assert second["attempt"] == 1 and second["jobId"] != first["jobId"]
        timed_out = [e for e in events(api, run_id) if e["type"] == "STEP_TIMED_OUT"]
        assert [(e["data"]["type"], e["data"]["requeues"]) for e in timed_out] == [("UnreportedTimeout", 1)]
        assert wire.cancel_for(first["jobId"])["reason"] == "UnreportedTimeout"
        assert stuck_runs(api) > before
        wire.complete(second, '"answered readably"')
        run = wait_run(api, run_id)
        assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1
    finally:
        wire.close()


def test_an_attempt_still_waiting_in_its_topic_is_left_alone(
    api: httpx.Client, backstopped: Orchestrator
) -> None:
    action = unique("backlogged")
    run_id = trigger(api, one_step(api, action), 1)  # no worker reads it yet: a backlog

    def pushed() -> bool:
        rows = backstopped.sql(
            "SELECT deadline_at - dispatched_at FROM jobs WHERE run_id = %s AND state = 'DISPATCHED'", run_id
        )
        return bool(rows) and rows[0][0].total_seconds() * 1000 > 2 * BACKSTOP_MS

    until(pushed, 30, "the backstop found the job still queued and gave it another period")
    assert backstopped.sql("SELECT count(*) FROM jobs WHERE run_id = %s", run_id) == [(1,)]
    wire = WireWorker(backstopped, action)
    try:
        job = wire.next_job()
        wire.complete(job, '"late but fine"')
        run = wait_run(api, run_id)
        assert run["status"] == "COMPLETED"
        assert [e for e in events(api, run_id) if e["type"] == "STEP_TIMED_OUT"] == []
    finally:
        wire.close()
