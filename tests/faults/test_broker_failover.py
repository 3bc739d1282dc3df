"""Three brokers, replication 3, min.insync.replicas 2, two orchestrators: runs flow while the broker
that coordinates the orchestrators' group is killed (its leaders and the group's coordinator move),
then while one orchestrator is killed. Every run completes once with the right output, each step
applied once, and no surviving process died of a signal (docs/operations.md)."""

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from harness.api import define, unique
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.processes import child_exits, children
from harness.services import require_stack
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"
RUNS = 60
OFFSETS_PARTITIONS = 6  # offsets.topic.num.partitions of deploy/stack.sh


@pytest.fixture
def cluster() -> Iterator[tuple[PrivateStack, Orchestrator, Orchestrator]]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = PrivateStack(brokers=3)
    try:
        stack.start("kafka")
        orch = Orchestrator(LOGS, kafka=stack.kafka, **stack.client_env())
        twin = orch.twin()
        try:
            orch.start()
            twin.start()
            yield stack, orch, twin
        finally:
            twin.stop()
            orch.drop()
    finally:
        stack.destroy()


def java_hash(text: str) -> int:
    """Java's String.hashCode: Kafka places a group's offsets (and coordinator) by it."""
    h = 0
    for ch in text:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def coordinator_of(orch: Orchestrator, group: str) -> int:
    """The broker leading the group's __consumer_offsets partition: its coordinator (read from
    metadata, not DescribeConsumerGroups, which librdkafka may abort on: kafka/isolated.py)."""
    partition = abs(java_hash(group)) % OFFSETS_PARTITIONS
    metadata = AdminClient(orch.kafka_config()).list_topics("__consumer_offsets", timeout=10)
    leader: int = metadata.topics["__consumer_offsets"].partitions[partition].leader
    return leader


def test_runs_complete_once_through_a_broker_kill_and_an_orchestrator_kill(
    cluster: tuple[PrivateStack, Orchestrator, Orchestrator],
) -> None:
    stack, orch, twin = cluster
    assert orch.process is not None
    engines = children(orch.process.pid)
    wid, first, second = unique("ha"), unique("ha-a"), unique("ha-b")
    steps = [
        {"action": a, "stepIndex": n, "retry": {"initialDelayMs": 100}} for n, a in enumerate((first, second))
    ]
    accepted: dict[int, str] = {}
    stop = threading.Event()

    def trigger_all() -> None:
        """RUNS keyed runs through both orchestrators in turn, retried on the other while one is down."""
        clients = [httpx.Client(base_url=o.url, timeout=5) for o in (orch, twin)]
        try:
            for n in range(RUNS):
                while n not in accepted and not stop.is_set():
                    client = clients[n % 2] if twin.process and twin.process.poll() is None else clients[0]
                    try:
                        r = client.post(
                            f"/workflow/{wid}/trigger",
                            json={"input": n},
                            headers={"Idempotency-Key": f"{wid}-{n}"},
                        )
                        if r.status_code == 200:
                            accepted[n] = r.json()["runId"]
                            break
                    except httpx.HTTPError:
                        pass
                    stop.wait(0.05)  # refused or unreachable: again shortly, never in a tight loop
                stop.wait(0.1)
        finally:
            for c in clients:
                c.close()

    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(api, {"id": wid, "steps": steps})
        triggering = threading.Thread(target=trigger_all, name="triggering")
        with running_worker(orch, {first: lambda p: p + 1, second: lambda p: p * 2}):
            triggering.start()
            try:
                until(lambda: len(accepted) >= 10, 60, "runs flowing")
                victim = coordinator_of(orch, orch.env["LEGATO_ORCHESTRATOR_GROUP"])
                stack.kill_broker(victim)  # leaders and the orchestrators' group coordinator move
                until(lambda: len(accepted) >= 30, 90, "runs accepted after the broker kill")
                twin.kill()  # the other orchestrator takes its partitions of workflow-results
                triggering.join(120)
                assert len(accepted) == RUNS
                until(lambda: _completed(orch, wid) == RUNS, 120, "every run completed")
            finally:
                stop.set()
                triggering.join(10)

    rows = orch.sql("SELECT input, output FROM runs WHERE workflow_id = %s AND status = 'COMPLETED'", wid)
    assert sorted(rows) == [(n, (n + 1) * 2) for n in range(RUNS)]  # one run per key, the right output
    twice = orch.sql(
        "SELECT count(*) FROM (SELECT e.run_id, e.step_id FROM run_events e JOIN runs r USING (run_id)"
        " WHERE r.workflow_id = %s AND e.type = 'STEP_COMPLETED' GROUP BY 1, 2 HAVING count(*) > 1) AS d",
        wid,
    )[0][0]
    assert twice == 0
    assert orch.process.poll() is None, orch.log_tail()
    assert children(orch.process.pid) == engines, orch.log_tail()  # its engine never restarted
    assert child_exits(orch.log_path.read_text(errors="replace")) == [], orch.log_tail()


def _completed(orch: Orchestrator, wid: str) -> int:
    count: int = orch.sql("SELECT count(*) FROM runs WHERE workflow_id = %s AND status = 'COMPLETED'", wid)[
        0
    ][0]
    return count
