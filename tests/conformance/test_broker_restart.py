"""The worker rides out broker restarts (a private Kafka): jobs published while the broker is down and
right after it is back all complete, and nobody exits.

Issue 26: a Java case timed out "waiting for the result" after one restart. The worker had answered
every job within milliseconds (the results' timestamps say so, and its group had committed every
offset); the harness's results reader, a librdkafka consumer assigned to the partition, sat at its
position with the answers behind it and never fetched them (conformance_harness.Wire._unstick). Several
restarts in a row, each with jobs in flight, exercise both sides: the worker's consumer group
rejoining a reloaded coordinator, and every reader carrying on."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_harness import Wire, WorkerProcess

from harness.private_stack import PrivateStack
from legato_protocol import encode_job

pytestmark = pytest.mark.slow

RESTARTS = 3
DURING = 2  # jobs produced while the broker is down (they wait in the harness's producer)
AFTER = 3  # jobs produced right after it is back
PARTITIONS = 2


@pytest.fixture(scope="module")
def private_kafka(conformance_kafka: str) -> Iterator[PrivateStack]:
    stack = PrivateStack()
    try:
        stack.start("kafka")
        yield stack
    finally:
        stack.destroy()


def test_worker_rides_out_broker_restarts(private_kafka: PrivateStack, language: str, tmp_path: Path) -> None:
    stack = private_kafka
    wire = Wire(stack.kafka, f"conf-{language}-restart-{uuid.uuid4().hex[:8]}", security=stack.client_env())
    wire.create_topics(PARTITIONS)
    worker = WorkerProcess(language, wire.env(f"conformance-{language}-0"), tmp_path / "stderr.log")
    wire.worker = worker
    try:
        assert wire.result(wire.job("echo", "before"))["status"] == "COMPLETED"
        sent = []
        for restart in range(RESTARTS):
            stack.stop("kafka")
            during = [wire.make_job("echo", f"{restart}-during-{n}") for n in range(DURING)]
            for job in during:  # queued in the producer until the broker is back
                wire.producer.produce(job["queue"], encode_job(job), job["runId"])
            stack.start("kafka")
            after = [wire.job("echo", f"{restart}-after-{n}") for n in range(AFTER)]
            # a condition wait: a group rejoin after a broker restart takes a while on a loaded box
            results = [wire.result(job, timeout=90) for job in during + after]
            assert [r["status"] for r in results] == ["COMPLETED"] * len(results)
            assert [json.loads(r["output"] or "null") for r in results] == [
                {"sdk": language, "echo": json.loads(job["payload"])} for job in during + after
            ]
            sent += during + after
        assert len(sent) == RESTARTS * (DURING + AFTER)
        assert worker.alive(), "the worker stopped during an outage" + worker.diagnostics()
    finally:
        worker.stop()
        wire.close()
