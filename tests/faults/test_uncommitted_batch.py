"""Offsets only for applied work: a batch that keeps failing (an outage) is never committed, even
when the engine stops meanwhile; after the outage its result is applied from Kafka."""

import uuid

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# insufficient_resources (SQLSTATE class 53): an outage, so the engine pauses and retries.
OUTAGE = """
CREATE FUNCTION outage_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action = '{action}' AND NEW.status = 'COMPLETED' THEN
    RAISE EXCEPTION 'disk full (simulated)' USING ERRCODE = '53100';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER outage_{tag} BEFORE UPDATE ON steps FOR EACH ROW EXECUTE FUNCTION outage_{tag}();
"""


def _result_offset(orch: Orchestrator, run_id: str) -> tuple[int, int]:
    consumer = Consumer(
        {
            **orch.kafka_config(),
            "group.id": f"probe-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([orch.env["LEGATO_RESULTS_TOPIC"]])
    found: list[tuple[int, int]] = []
    try:

        def seen() -> bool:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error() and msg.key() == run_id.encode():
                found.append((msg.partition() or 0, msg.offset() or 0))
            return bool(found)

        until(seen, 20, "the run's result on the results topic")
    finally:
        consumer.close()
    return found[0]


def _committed(orch: Orchestrator, partition: int) -> int:
    consumer = Consumer(
        {
            **orch.kafka_config(),
            "group.id": orch.env["LEGATO_ORCHESTRATOR_GROUP"],
            "enable.auto.commit": False,
        }
    )
    try:
        tp = consumer.committed([TopicPartition(orch.env["LEGATO_RESULTS_TOPIC"], partition)], timeout=10)[0]
        return tp.offset
    finally:
        consumer.close()


def test_a_failing_batch_is_not_committed_when_the_engine_stops(fresh_orchestrator: Orchestrator) -> None:
    orch = fresh_orchestrator
    action, wid, tag = unique("stuck-step"), unique("stuck"), uuid.uuid4().hex[:8]
    runs = 0
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
        orch.sql_script(OUTAGE.format(tag=tag, action=action))

        def handler(n: int) -> int:
            nonlocal runs
            runs += 1
            return n + 1

        run_id = trigger(api, wid, 41)
        with running_worker(orch, {action: handler}):
            partition, offset = _result_offset(orch, run_id)
            until(lambda: api.get("/readyz").status_code == 503, 30, "/readyz to report the engine paused")
        orch.stop()
        # Whatever the engine committed, it is not past the result it could not apply.
        assert _committed(orch, partition) <= offset
        orch.sql_script(f"DROP FUNCTION outage_{tag}() CASCADE")
        orch.start()
        run = wait_run(api, run_id, timeout=60)
    assert run["status"] == "COMPLETED" and run["output"] == 42
    assert runs == 1  # applied from Kafka after the restart, not run again
