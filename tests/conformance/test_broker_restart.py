"""The worker rides out a broker restart (a private Kafka): later jobs complete, nobody exits."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_harness import Wire, WorkerProcess

from harness.private_stack import PrivateStack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_kafka(conformance_kafka: str) -> Iterator[PrivateStack]:
    stack = PrivateStack()
    try:
        stack.start("kafka")
        yield stack
    finally:
        stack.destroy()


def test_worker_rides_out_a_broker_restart(
    private_kafka: PrivateStack, language: str, tmp_path: Path
) -> None:
    stack = private_kafka
    wire = Wire(stack.kafka, f"conf-{language}-restart-{uuid.uuid4().hex[:8]}", security=stack.client_env())
    wire.create_topics()
    worker = WorkerProcess(language, wire.env(f"conformance-{language}-0"), tmp_path / "stderr.log")
    wire.worker = worker
    try:
        assert wire.result(wire.job("echo", "before"))["status"] == "COMPLETED"
        stack.stop("kafka")
        stack.start("kafka")
        after = [wire.job("echo", n) for n in range(5)]
        assert [wire.result(job, timeout=90)["status"] for job in after] == ["COMPLETED"] * len(after)
        assert worker.alive(), "the worker stopped during the outage" + worker.diagnostics()
    finally:
        worker.stop()
        wire.close()
