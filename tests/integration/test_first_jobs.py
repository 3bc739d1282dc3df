"""A trigger's first jobs are published by the API right after its commit (runs.first_jobs), and
the engine's relay is the fallback: a job the API could not get to Kafka goes out once the
hand-over grace has passed."""

import time

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.wire import WireWorker

pytestmark = pytest.mark.integration


def _job_row(orch: Orchestrator, run_id: str) -> tuple[str, int | None]:
    rows = orch.sql("SELECT state, kafka_offset FROM jobs WHERE run_id = %s", run_id)
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1]


def test_a_first_job_goes_out_and_is_recorded_while_the_engine_is_stopped(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    action = unique("first")
    wid = unique("wf-first")
    define(own_api, {"id": wid, "steps": [{"id": "only", "action": action}]})
    worker = WireWorker(fresh_orchestrator, action)
    try:
        fresh_orchestrator.freeze(True, only="legato-engine")
        try:
            run_id = trigger(own_api, wid, {"n": 1})
            job = worker.next_job(timeout=10)
            assert job["runId"] == run_id
            # Kafka's acknowledgement is recorded by the API itself: the job is queued, in its place.
            until(lambda: _job_row(fresh_orchestrator, run_id)[0] == "DISPATCHED", 10, "the job DISPATCHED")
            assert _job_row(fresh_orchestrator, run_id)[1] is not None
        finally:
            fresh_orchestrator.freeze(False, only="legato-engine")
        worker.complete(job, '{"ok": true}')
        assert wait_run(own_api, run_id)["status"] == "COMPLETED"
        worker.no_job(2)  # published once: the relay did not send it again
    finally:
        worker.close()


def test_a_first_job_the_api_could_not_publish_is_published_by_the_engine_after_the_grace(
    orchestrator: Orchestrator, api: httpx.Client
) -> None:
    """The API's producer cannot reach any broker (its process died after the commit, in effect):
    the job waits in the outbox, and the orchestrator's engine publishes it once the hand-over
    grace (kafka.clients.HANDOVER_MS) has passed."""
    from confluent_kafka import Producer
    from psycopg_pool import ConnectionPool

    from legato.definitions.registry import DefinitionRegistry
    from legato.kafka.clients import HANDOVER_MS
    from legato.kafka.publisher import JobPublisher
    from legato.runs.first_jobs import FirstJobs
    from legato.runs.trigger import TriggerRequest, Triggers

    action = unique("fallback")
    wid = unique("wf-fallback")
    define(api, {"id": wid, "steps": [{"id": "only", "action": action}]})
    worker = WireWorker(orchestrator, action)
    unreachable = Producer({"bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 1000})
    with ConnectionPool(orchestrator.database_url, min_size=1, max_size=2) as pool:
        first_jobs = FirstJobs(pool, JobPublisher(unreachable), 0)
        first_jobs.start()
        triggers = Triggers(DefinitionRegistry(pool), orchestrator.env["LEGATO_JOBS_TOPIC"], 3600, first_jobs)
        try:
            request = TriggerRequest(wid, {"n": 1})
            with pool.connection() as conn:
                written_at = time.monotonic()
                assert triggers.write(conn, [request]) == [request.run_id]
            worker.no_job(5)  # the API's send failed, and the job is still the API's
            assert _job_row(orchestrator, str(request.run_id)) == ("PENDING", None)
            job = worker.next_job(timeout=HANDOVER_MS / 1000 + 20)
            assert job["runId"] == str(request.run_id)
            assert time.monotonic() - written_at >= HANDOVER_MS / 1000 - 1
            worker.complete(job, '{"ok": true}')
            assert wait_run(api, str(request.run_id))["status"] == "COMPLETED"
        finally:
            first_jobs.close(timeout_s=1)
            worker.close()
