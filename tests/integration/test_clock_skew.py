"""Worker clocks against the database's: a skewed worker neither loops forever nor doubles a step.

Every due time is the database's (a job's `deadlineAt` is its start-by time by PostgreSQL's now());
workers compare it with their own clocks. The test plays the worker on the wire, so "a clock ahead"
is a worker that skips a copy before its start-by time, and "a clock behind" one that starts a copy
after it expired. The SDKs' own clock handling is the conformance suite's (test_worker_clock.py).
"""

import threading
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import LOGS, Orchestrator
from harness.waiting import until
from harness.wire import WireWorker

pytestmark = pytest.mark.integration

MAX_REQUEUES = 2


@pytest.fixture(scope="module")
def capped() -> Iterator[Orchestrator]:
    """An orchestrator that queues an expired attempt again twice at most."""
    orch = Orchestrator(LOGS, LEGATO_MAX_REQUEUES=str(MAX_REQUEUES))
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def capped_api(capped: Orchestrator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=capped.url, timeout=30) as client:
        yield client


@pytest.fixture
def wire(capped: Orchestrator) -> Iterator[WireWorker]:
    worker = WireWorker(capped, unique("skewed"))
    yield worker
    worker.close()


def one_step(api: httpx.Client, action: str) -> str:
    wid = unique("skew")
    step = {"id": "only", "action": action, "scheduleToStartSeconds": 0.5, "retry": {"maxAttempts": 1}}
    define(api, {"id": wid, "steps": [step]})
    return wid


def skipped_early(api: httpx.Client) -> float:
    for family in text_string_to_metric_families(api.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "legato_worker_clock_ahead_skips_total":
                return sample.value
    return 0.0


def test_a_worker_clock_ahead_is_counted_and_its_skips_end_in_a_failure_not_a_loop(
    capped_api: httpx.Client, wire: WireWorker
) -> None:
    before = skipped_early(capped_api)
    run_id = trigger(capped_api, one_step(capped_api, wire.action), 1)
    copies = []
    while len(copies) < MAX_REQUEUES + 1:
        job = wire.next_job(timeout=20)
        copies.append(job)
        wire.progress(job, "SKIPPED")  # at once: before its start-by time by the database's clock
    run = wait_run(capped_api, run_id)
    assert run["status"] == "FAILED", run
    assert run["error"]["type"] == "ScheduleToStartTimeout"
    assert [c["attempt"] for c in copies] == [1] * (MAX_REQUEUES + 1)
    assert len({c["jobId"] for c in copies}) == MAX_REQUEUES + 1
    # counted as a clock ahead when applied before the start-by time (each skip is sent at once; one
    # applied late, e.g. while the engine's consumer is still joining its group, is a plain expiry)
    assert skipped_early(capped_api) > before
    timed_out = [e for e in events(capped_api, run_id) if e["type"] == "STEP_TIMED_OUT"]
    assert [e["data"].get("requeues") for e in timed_out] == [1, 2, None]  # the last one used the attempt
    wire.no_job(1.0)  # and nothing is queued after it


def test_a_late_start_by_a_clock_behind_wins_over_a_copy_not_started(
    capped_api: httpx.Client, wire: WireWorker
) -> None:
    run_id = trigger(capped_api, one_step(capped_api, wire.action), 1)
    first = wire.next_job()
    second = wire.next_job(timeout=20)  # the first expired in its queue
    assert second["attempt"] == 1 and second["jobId"] != first["jobId"]
    wire.progress(first, "STARTED")  # a worker whose clock is behind started the expired copy
    assert wire.cancel_for(second["jobId"])["reason"] == "Superseded"
    until(
        lambda: any(
            e["type"] == "ATTEMPT_STARTED" and e["data"]["jobId"] == first["jobId"]
            for e in events(capped_api, run_id)
        ),
        what="the late start recorded",
    )
    wire.complete(first, '"the first copy"')
    run = wait_run(capped_api, run_id)
    assert run["status"] == "COMPLETED" and run["output"] == "the first copy"
    assert run["steps"][0]["attempts"] == 1


def test_a_late_start_loses_to_a_copy_already_started(capped_api: httpx.Client, wire: WireWorker) -> None:
    run_id = trigger(capped_api, one_step(capped_api, wire.action), 1)
    first = wire.next_job()
    second = wire.next_job(timeout=20)
    wire.progress(second, "STARTED")
    until(
        lambda: any(
            e["type"] == "ATTEMPT_STARTED" and e["data"]["jobId"] == second["jobId"]
            for e in events(capped_api, run_id)
        ),
        what="the replacement's start recorded",
    )
    wire.progress(first, "STARTED")  # too late: the copy queued in its place runs
    assert wire.cancel_for(first["jobId"])["reason"] == "ScheduleToStartTimeout"
    wire.complete(first, '"ignored"')
    wire.complete(second, '"the second copy"')
    run = wait_run(capped_api, run_id)
    assert run["status"] == "COMPLETED" and run["output"] == "the second copy"


def test_heartbeats_from_a_clock_far_behind_keep_an_attempt_alive(
    capped_api: httpx.Client, wire: WireWorker
) -> None:
    """A heartbeat counts from its record's timestamp (the worker's clock here, 60 s behind), but
    never from more than half a heartbeat timeout before it is applied: no HeartbeatTimeout."""
    wid = unique("skew")
    define(capped_api, {"id": wid, "steps": [{"id": "only", "action": wire.action, "heartbeatSeconds": 2}]})
    run_id = trigger(capped_api, wid, 1)
    job = wire.next_job()
    behind = -60_000
    wire.progress(job, "STARTED", clock_offset_ms=behind)
    beats = 0
    pace = threading.Event()
    while beats < 12:  # 6 s of heartbeats every 0.5 s: three times the timeout
        pace.wait(0.5)
        beats += 1
        wire.progress(job, "HEARTBEAT", f'{{"done": {beats}}}', clock_offset_ms=behind)
    wire.complete(job, '"alive throughout"')
    run = wait_run(capped_api, run_id)
    assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1
    assert [e for e in events(capped_api, run_id) if e["type"] == "STEP_TIMED_OUT"] == []
