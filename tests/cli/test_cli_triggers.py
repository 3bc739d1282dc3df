"""`legato triggers ...` against a real orchestrator and Kafka: create, list, show, pause, resume and
delete a Kafka-topic trigger; `legato runs list --trigger`; piped tables one row per line."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from cli_runner import Cli
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from harness.api import define, unique
from harness.cli import legato
from harness.orchestrator import Orchestrator
from harness.waiting import until

pytestmark = pytest.mark.integration


@pytest.fixture
def topic(orchestrator: Orchestrator) -> Iterator[str]:
    """A topic of the test's own (the broker creates none by itself), deleted after it."""
    name = unique(f"{orchestrator.tag}-orders")
    admin = AdminClient(orchestrator.kafka_config())
    for future in admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)]).values():
        future.result(timeout=30)
    yield name
    for future in admin.delete_topics([name], operation_timeout=30).values():
        future.result(timeout=30)


def _produce(orchestrator: Orchestrator, topic: str, *values: bytes) -> None:
    producer = Producer(orchestrator.kafka_config())
    for value in values:
        producer.produce(topic, value=value, key=b"k")
    assert producer.flush(30) == 0


def test_a_trigger_from_create_to_delete(
    cli: Cli, api: httpx.Client, orchestrator: Orchestrator, topic: str, tmp_path: Path
) -> None:
    wid, tid = unique("cli-trig-wf"), unique("cli-trig")
    define(api, {"id": wid, "steps": [{"id": "done", "wait": {"seconds": 0}}]})
    spec = {
        "id": tid,
        "kafka": {"topic": topic, "fromBeginning": True},
        "workflowId": wid,
        "idempotencyKey": "${value.orderId}",
    }
    path = tmp_path / "trigger.json"
    path.write_bytes(orjson.dumps(spec))
    created = legato(orchestrator, "triggers", "create", "-f", str(path)).stdout  # a real subprocess
    # the trigger's consumer group and dead-letter topic sit under the orchestrator's group
    group = f"{orchestrator.env['LEGATO_ORCHESTRATOR_GROUP']}.trigger.{tid}"
    assert created.strip() == f"{tid}: created, reading {topic} (dead letters to {group}.DLT)"
    cli("triggers", "create", "-f", str(path), expect=1)  # the id exists: the API's 409

    # two records with one order id (one run), and one that is not JSON (dead-lettered)
    _produce(orchestrator, topic, b'{"orderId": "o-1"}', b'{"orderId": "o-1"}', b"not json")

    def counts() -> list[str]:
        row = next(
            line.split() for line in cli("triggers", "list").stdout.splitlines() if line.startswith(tid)
        )
        return row[6:]

    until(lambda: counts() == ["1", "1", "1"], 60, "one run, one duplicate, one dead letter")
    header, *rows = cli("triggers", "list").stdout.splitlines()
    assert header.split() == [
        "TRIGGER",
        "TOPIC",
        "WORKFLOW",
        "ORDERING",
        "PAUSED",
        "LAG",
        "STARTED",
        "DUPLICATES",
        "DEAD",
        "LETTERED",
    ]
    mine = [r.split() for r in rows if r.startswith(tid)]
    assert mine == [[tid, topic, wid, "none", "no", mine[0][5], "1", "1", "1"]]
    assert cli("-o", "json", "triggers", "list").json() == api.get("/triggers").json()

    runs = cli("-o", "json", "runs", "list", "--trigger", tid).json()["runs"]
    assert len(runs) == 1
    assert cli("-o", "json", "runs", "show", runs[0]["runId"]).json()["input"] == {"orderId": "o-1"}
    trigger_line = [
        line
        for line in cli("runs", "show", runs[0]["runId"]).stdout.splitlines()
        if line.startswith("trigger")
    ]
    assert trigger_line[0].split() == ["trigger", tid]

    shown = cli("triggers", "show", tid).stdout.splitlines()
    stored = api.get(f"/triggers/{tid}").json()
    assert cli("-o", "json", "triggers", "show", tid).json() == stored
    fields = {key: value.strip() for key, _, value in (line.partition("  ") for line in shown)}
    assert fields["topic"] == f"{topic} (from the beginning)"
    assert fields["idempotency key"] == "${value.orderId}"
    assert fields["consumer group"] == group
    assert fields["dead letters to"] == f"{group}.DLT"
    assert (fields["started"], fields["duplicates"], fields["dead-lettered"]) == ("1", "1", "1")

    assert cli("triggers", "pause", tid).stdout.strip() == f"{tid}: paused"
    assert api.get(f"/triggers/{tid}").json()["paused"] is True
    assert (
        next(r.split() for r in cli("triggers", "list").stdout.splitlines() if r.startswith(tid))[4] == "yes"
    )
    assert cli("triggers", "resume", tid).stdout.strip() == f"{tid}: resumed"
    assert cli("-o", "json", "triggers", "show", tid).json()["paused"] is False

    assert cli("-o", "json", "triggers", "delete", tid).json() == {"id": tid, "deleted": True}
    cli("triggers", "show", tid, expect=3)
    assert cli("triggers", "delete", tid, expect=3).stderr.startswith("legato: error: ")
    assert len(cli("-o", "json", "runs", "list", "--trigger", tid).json()["runs"]) == 1  # its run stays


def test_unknown_triggers_and_refused_specs(cli: Cli, tmp_path: Path) -> None:
    missing = unique("cli-trig-missing")
    for command in ("show", "pause", "resume", "delete"):
        cli("triggers", command, missing, expect=3)
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps({"id": unique("t"), "kafka": {"topic": "x"}, "workflowId": unique("nope")}))
    assert "(HTTP 422)" in cli("triggers", "create", "-f", str(bad), expect=2).stderr
