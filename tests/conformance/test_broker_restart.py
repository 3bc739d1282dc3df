"""The worker rides out broker restarts (a private Kafka): jobs published while the broker is down and
right after it is back all complete, every action's consumer is still served after each restart, a
Cancel sent after the restarts still reaches its handler (the control-topic reader carried on too),
and nobody exits.

Issue 26: a Java case timed out "waiting for the result" after one restart. The worker had answered
every job within milliseconds (the results' timestamps say so, and its group had committed every
offset); the harness's results reader, a librdkafka consumer assigned to the partition, sat at its
position with the answers behind it and never fetched them (conformance_harness.Wire._unstick). Several
restarts in a row, each with jobs in flight, exercise both sides: the worker's consumer groups
rejoining a reloaded coordinator, and every reader carrying on.

A later Python case: one of the worker's librdkafka clients (an action's consumer, 'wait-cancel' or
'count') never came back after a restart, and the jobs of that action sat unanswered. A single broker
that is shutting down (or starting) answers Metadata while it is fenced, and lists no broker at all;
librdkafka >= 2.10 then drops every broker it knows (those not in the response) and, with none left,
neither reconnects nor re-bootstraps (confluentinc/librdkafka#5301). Which client is hit is a matter of
timing, so after each restart a job goes to every action, and each must be answered within
PROBE_BOUND_S: a consumer that lost its group for good fails it (a rejoin after a session timeout takes
about one session timeout, 10 s). Fixed by requiring confluent-kafka < 2.10 (librdkafka 2.8); the Node
SDK's client crashed on the same answer instead (worker-sdk-node/src/worker/stale-metadata.ts)."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_harness import Wire, WorkerProcess

from harness.private_stack import PrivateStack
from legato_protocol import encode_job

pytestmark = pytest.mark.slow

RESTARTS = 3
DURING = 2  # jobs produced while the broker is down (they wait in the harness's producer)
AFTER = 3  # jobs produced right after it is back
PARTITIONS = 2
# One job per action after each restart: each one has its own consumer (and group) in the worker.
PROBES: dict[str, Any] = {
    "echo": "probe",
    "fail": "probe",
    "fail-plain": "probe",
    "nonretryable": "probe",
    "slow": {"ms": 1},
    "big": {"bytes": 1},
    "nan": {},
    "recurse": {},
    "count": {},
    "heartbeat": {"beats": 0, "intervalMs": 1},
    "wait-cancel": {"ms": 1},
}
PROBE_BOUND_S = 60.0


@pytest.fixture(scope="module")
def private_kafka(conformance_kafka: str) -> Iterator[PrivateStack]:
    stack = PrivateStack()
    try:
        stack.start("kafka")
        yield stack
    finally:
        stack.destroy()


def test_workers_ride_out_broker_restarts(
    private_kafka: PrivateStack, languages: list[str], tmp_path: Path
) -> None:
    """Every selected SDK's worker at once, each on its own topics: the restarts are the cost, and
    one restart serves them all; each worker is judged apart (the failure names its language)."""
    stack = private_kafka
    run = uuid.uuid4().hex[:8]
    wires: dict[str, Wire] = {}
    try:
        for language in languages:
            wire = Wire(stack.kafka, f"conf-{language}-restart-{run}", security=stack.client_env())
            wire.create_topics(PARTITIONS)
            wire.worker = WorkerProcess(
                language, wire.env(f"conformance-{language}-0"), tmp_path / f"{language}-stderr.log"
            )
            wires[language] = wire
        for language, wire in wires.items():
            assert wire.result(wire.job("echo", "before"))["status"] == "COMPLETED", language
        for restart in range(RESTARTS):
            stack.stop("kafka")
            during = {
                language: [wire.make_job("echo", f"{restart}-during-{n}") for n in range(DURING)]
                for language, wire in wires.items()
            }
            for language, jobs in during.items():  # queued in the producer until the broker is back
                for job in jobs:
                    wires[language].producer.produce(job["queue"], encode_job(job), job["runId"])
            stack.start("kafka")
            jobs = {
                language: during[language] + [wire.job("echo", f"{restart}-after-{n}") for n in range(AFTER)]
                for language, wire in wires.items()
            }
            for language, wire in wires.items():
                # a condition wait: a group rejoin after a broker restart takes a while on a loaded box
                results = [wire.result(job, timeout=90) for job in jobs[language]]
                assert [r["status"] for r in results] == ["COMPLETED"] * len(results), language
                assert [json.loads(r["output"] or "null") for r in results] == [
                    {"sdk": language, "echo": json.loads(job["payload"])} for job in jobs[language]
                ]
            probes = {
                language: [wire.job(action, payload) for action, payload in PROBES.items()]
                for language, wire in wires.items()
            }
            for language, wire in wires.items():
                for job in probes[language]:  # any status: the action's consumer took it and answered
                    wire.result(job, timeout=PROBE_BOUND_S)
        for language, wire in wires.items():
            # the control topic is still read after the restarts: a Cancel reaches a running handler
            assert wire.worker is not None
            waiting = wire.job("wait-cancel", {"ms": 60_000})
            wire.worker.wait_for_line(f"STARTED {waiting['jobId']}")
            wire.cancel(waiting, "RunCancelled")
            wire.worker.wait_for_line(f"CANCELLED {waiting['jobId']} RunCancelled")
            assert wire.worker.alive(), f"the {language} worker stopped during an outage" + (
                wire.worker.diagnostics()
            )
    finally:
        for wire in wires.values():
            if wire.worker is not None:
                wire.worker.stop()
            wire.close()
