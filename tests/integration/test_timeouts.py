"""The three timeouts of an attempt, worker progress and withdrawn attempts, seen from the wire.

The test plays the worker (harness.wire) so that an attempt starts, heartbeats, goes silent or
answers exactly when the test says; the SDKs' side is the conformance suite's.
"""

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.wire import WireWorker

pytestmark = pytest.mark.integration


@pytest.fixture
def action() -> str:
    return unique("long")


@pytest.fixture
def wire(orchestrator: Orchestrator, action: str) -> Iterator[WireWorker]:
    worker = WireWorker(orchestrator, action)
    yield worker
    worker.close()


def one_step(api: httpx.Client, action: str, **step: Any) -> str:
    wid = unique("timeouts")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, **step}]})
    return wid


def of_type(history: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in history if e["type"] == kind]


def test_a_queued_attempt_is_not_timed_out_by_its_execution_timeout(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    """startToClose counts from the start a worker reports, never from publication."""
    run_id = trigger(api, one_step(api, action, startToCloseSeconds=1), 1)
    job = wire.next_job()
    time.sleep(2.5)  # the attempt stays queued past its 1 s execution timeout (the point of the test)
    assert of_type(events(api, run_id), "STEP_TIMED_OUT") == []
    assert job["startToCloseMs"] == 1000 and job["deadlineAt"] is None
    wire.complete(job, '"done"')
    run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1


def test_start_to_close_runs_from_the_reported_start(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    run_id = trigger(api, one_step(api, action, startToCloseSeconds=1, retry={"initialDelayMs": 50}), 1)
    first = wire.next_job()
    wire.progress(first, "STARTED")
    second = wire.next_job(timeout=15)  # the retry, once the first ran past 1 s
    assert second["attempt"] == 2
    cancel = wire.cancel_for(first["jobId"])
    assert cancel["reason"] == "StartToCloseTimeout"
    history = events(api, run_id)
    timed_out = of_type(history, "STEP_TIMED_OUT")
    assert [e["data"]["type"] for e in timed_out] == ["StartToCloseTimeout"]
    assert "startToCloseSeconds (1 s)" in timed_out[0]["data"]["message"]
    assert of_type(history, "ATTEMPT_STARTED")[0]["data"]["jobId"] == first["jobId"]
    wire.complete(first, '"late"')  # the first attempt's late result is ignored
    wire.complete(second, '"fresh"')
    run = wait_run(api, run_id)
    assert run["output"] == "fresh" and run["steps"][0]["attempts"] == 2


def test_heartbeats_keep_an_attempt_alive_and_its_retry_resumes_from_the_last_details(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    wid = one_step(api, action, heartbeatSeconds=1.5, startToCloseSeconds=60, retry={"initialDelayMs": 50})
    run_id = trigger(api, wid, 1)
    first = wire.next_job()
    assert first["heartbeatTimeoutMs"] == 1500 and first["lastHeartbeatDetails"] is None
    started = int(time.time() * 1000)
    wire.progress(first, "STARTED", started_at=started)
    for done in range(1, 7):  # 3 s of heartbeats, twice the heartbeat timeout
        time.sleep(0.5)  # the cadence of a heartbeating handler (the point of the test)
        wire.progress(first, "HEARTBEAT", json.dumps({"done": done}), started_at=started)
    assert of_type(events(api, run_id), "STEP_TIMED_OUT") == []
    second = wire.next_job(timeout=15)  # silent now: dead after 1.5 s, retried
    assert second["attempt"] == 2
    assert json.loads(second["lastHeartbeatDetails"] or "null") == {"done": 6}
    assert wire.cancel_for(first["jobId"])["reason"] == "HeartbeatTimeout"
    timed_out = of_type(events(api, run_id), "STEP_TIMED_OUT")
    assert [e["data"]["type"] for e in timed_out] == ["HeartbeatTimeout"]
    wire.complete(second, '"resumed"')
    assert wait_run(api, run_id)["output"] == "resumed"


def test_schedule_to_start_requeues_without_using_an_attempt(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    wid = one_step(api, action, scheduleToStartSeconds=0.5, retry={"initialDelayMs": 50, "maxAttempts": 1})
    run_id = trigger(api, wid, 1)
    first = wire.next_job()
    # the start-by time is the database's now() + 500 ms, set when the job was written, just
    # before the engine published it (createdAt is the publisher's clock: the same host here)
    assert first["deadlineAt"] is not None and 0 < first["deadlineAt"] - first["createdAt"] <= 500
    # Nobody starts it: it expires in the queue (after its grace) and a fresh copy is queued.
    second = wire.next_job(timeout=20)
    assert second["attempt"] == 1 and second["jobId"] != first["jobId"]
    # no Cancel for the expired copy: no worker starts it past its start-by time, and one whose clock
    # is behind and does wins only while this copy has not started (test_clock_skew.py)
    expired = of_type(events(api, run_id), "STEP_TIMED_OUT")
    assert expired and expired[0]["data"]["type"] == "ScheduleToStartTimeout"
    assert "no execution attempt was used" in expired[0]["data"]["message"]
    wire.progress(second, "STARTED")
    wire.complete(second, '"ran once"')
    run = wait_run(api, run_id)
    # maxAttempts 1 and yet it ran: queue expiries use no execution attempt.
    assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1


def test_a_worker_that_skips_an_expired_attempt_makes_it_requeue_at_once(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    run_id = trigger(api, one_step(api, action, scheduleToStartSeconds=1), 1)
    first = wire.next_job()
    # this host's clock is the database's: past the start-by time by both, the worker skips
    until(lambda: time.time() * 1000 > first["deadlineAt"] + 50, what="the start-by time passed")
    skew_before = skipped_early(api)
    wire.progress(first, "SKIPPED")  # reason DeadlinePassed
    second = wire.next_job(timeout=10)
    assert second["attempt"] == 1 and second["jobId"] != first["jobId"]
    wire.complete(second, "1")
    assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert skipped_early(api) == skew_before, "a skip after the start-by time is no clock skew"


def skipped_early(api: httpx.Client) -> float:
    """legato_worker_clock_ahead_skips_total: skips before the start-by time by the database's clock."""
    for family in text_string_to_metric_families(api.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "legato_worker_clock_ahead_skips_total":
                return sample.value
    return 0.0


def test_an_attempt_released_by_a_worker_shutting_down_goes_again_without_using_an_attempt(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    wid = one_step(api, action, heartbeatSeconds=5, retry={"maxAttempts": 1, "initialDelayMs": 50})
    run_id = trigger(api, wid, 1)
    first = wire.next_job()
    wire.progress(first, "STARTED")
    wire.progress(first, "HEARTBEAT", '{"done": 3}')
    wire.fail(first, "WorkerShutdown", "the worker shut down before the attempt ended")
    second = wire.next_job(timeout=10)
    # the same attempt (maxAttempts 1), resuming from the released one's last heartbeat
    assert second["attempt"] == 1 and second["jobId"] != first["jobId"]
    assert json.loads(second["lastHeartbeatDetails"] or "null") == {"done": 3}
    requeued = of_type(events(api, run_id), "STEP_REQUEUED")
    assert [(e["data"]["type"], e["data"]["requeues"]) for e in requeued] == [("WorkerShutdown", 1)]
    assert of_type(events(api, run_id), "STEP_FAILED") == []
    wire.complete(second, '"finished elsewhere"')
    run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1


def test_a_start_reported_for_a_job_whose_acknowledgement_was_lost_stops_its_republication(
    api: httpx.Client, wire: WireWorker, action: str, orchestrator: Orchestrator
) -> None:
    run_id = trigger(api, one_step(api, action), 1)
    job = wire.next_job()
    until(lambda: orchestrator.sql("SELECT state FROM jobs WHERE run_id = %s", run_id) == [("DISPATCHED",)])
    # As if the engine had crashed before recording Kafka's acknowledgement: the outbox would publish
    # the job again once its lease passes (in 2 s).
    orchestrator.sql_script(
        f"""UPDATE jobs SET state = 'PENDING', dispatched_at = NULL, kafka_offset = NULL,
                   kafka_partition = NULL, deadline_at = NULL, not_before = now() + interval '2 s'
            WHERE run_id = '{run_id}'"""
    )
    wire.progress(job, "STARTED")  # a worker has it: it was delivered
    until(lambda: of_type(events(api, run_id), "ATTEMPT_STARTED"), what="the start recorded")
    assert orchestrator.sql("SELECT state FROM jobs WHERE run_id = %s", run_id) == [("DISPATCHED",)]
    wire.no_job(4)  # past the lease: not published a second time
    wire.complete(job, '"once"')
    assert wait_run(api, run_id)["status"] == "COMPLETED"


def test_cancelling_a_run_withdraws_its_running_attempt(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    run_id = trigger(api, one_step(api, action), 1)
    job = wire.next_job()
    wire.progress(job, "STARTED")
    until(lambda: of_type(events(api, run_id), "ATTEMPT_STARTED"), what="the start recorded")
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
    cancel = wire.cancel_for(job["jobId"], timeout=5)
    assert cancel["reason"] == "RunCancelled" and cancel["runId"] == run_id
    # A heartbeat from the withdrawn attempt (a worker that missed the Cancel) withdraws it again.
    wire.cancels.clear()
    wire.progress(job, "HEARTBEAT", '{"still": "here"}')
    assert wire.cancel_for(job["jobId"], timeout=5)["reason"] == "RunCancelled"


def test_retrying_a_failed_run_supersedes_its_open_attempts(
    api: httpx.Client, wire: WireWorker, action: str, orchestrator: Orchestrator
) -> None:
    sibling = unique("sibling")
    wid = unique("branches")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "slow", "action": action},
                {"id": "doomed", "action": sibling, "retry": {"maxAttempts": 1}},
            ],
        },
    )
    other = WireWorker(orchestrator, sibling)
    try:
        run_id = trigger(api, wid, 1)
        slow = wire.next_job()
        wire.progress(slow, "STARTED")
        doomed = other.next_job()
        failure: dict[str, Any] = {
            "type": "Boom",
            "message": "no",
            "nonRetryable": True,
            "details": None,
            "stackTrace": None,
        }
        _fail(other, doomed, failure)
        wait_run(api, run_id)  # FAILED: the still-running sibling is withdrawn as the run ended
        assert wire.cancel_for(slow["jobId"])["reason"] == "RunEnded"
    finally:
        other.close()


def _fail(worker: WireWorker, job: Any, failure: dict[str, Any]) -> None:
    from harness.wire import now_ms
    from legato_protocol import Result, encode_result

    result: Result = {
        "jobId": job["jobId"],
        "runId": job["runId"],
        "stepId": job["stepId"],
        "attempt": job["attempt"],
        "action": job["action"],
        "status": "FAILED",
        "output": None,
        "failure": failure,  # type: ignore[typeddict-item]
        "workerId": "wire-worker",
        "sdk": "test/0",
        "startedAt": now_ms(),
        "finishedAt": now_ms(),
    }
    worker._send(job, encode_result(result))


@pytest.mark.parametrize(
    ("step", "field", "says"),
    [
        (
            {"timeoutSeconds": 5, "startToCloseSeconds": 6},
            "timeoutSeconds",
            "old name of startToCloseSeconds",
        ),
        ({"startToCloseSeconds": 5, "heartbeatSeconds": 10}, "heartbeatSeconds", "must not exceed"),
        ({"scheduleToStartSeconds": 0}, "scheduleToStartSeconds", ""),
        ({"heartbeatSeconds": "often"}, "heartbeatSeconds", ""),
    ],
)
def test_bad_timeouts_are_a_422_naming_the_field(
    api: httpx.Client, step: dict[str, Any], field: str, says: str
) -> None:
    r = api.post("/workflow/", json={"id": unique("bad"), "steps": [{"action": "a", "stepIndex": 0, **step}]})
    assert r.status_code == 422, r.text
    assert field in r.text and says in r.text


def test_a_worker_clock_reading_out_of_any_range_is_bounded_where_it_enters(
    api: httpx.Client, wire: WireWorker, action: str
) -> None:
    """A STARTED whose times would overflow PostgreSQL's intervals is still applied (not dead-lettered),
    and its start is never before the job existed (so it does not time the attempt out at once)."""
    run_id = trigger(api, one_step(api, action), 1)
    job = wire.next_job()
    wire.progress(job, "STARTED", started_at=-(2**62))
    until(lambda: of_type(events(api, run_id), "ATTEMPT_STARTED"), what="the start recorded")
    live = api.get(f"/workflow/run/{run_id}").json()["steps"][0]["liveAttempt"]
    assert live["state"] == "running"
    run = api.get(f"/workflow/run/{run_id}").json()
    started, created = (datetime.fromisoformat(t) for t in (live["startedAt"], run["createdAt"]))
    assert started >= created, (live, run["createdAt"])
    wire.complete(job, "1")
    assert wait_run(api, run_id)["status"] == "COMPLETED"
