"""The Kafka-topic trigger showcase of `make demo` (docs/schedules-and-triggers.md): a topic of the
demo's own, a trigger that starts a workflow for each of its records, and five records: three
orders, one order sent again (the same idempotency key: no second run) and one that is not JSON
(the trigger's dead-letter topic). The demo prints the runs and the dead letter, then deletes the
trigger and its topics.

Kafka is reached as every Legato process reaches it: LEGATO_KAFKA_BOOTSTRAP_SERVERS and the
LEGATO_KAFKA_SECURITY_* settings (`make demo` sources .legato/kafka-client.env).
"""

import os
from collections.abc import Callable
from typing import Any

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from schedule_demo import until

from legato_protocol.env import Env
from legato_protocol.kafka_security import KafkaSecurity

TIMEOUT_S = 30  # for one Kafka admin call or flush


def kafka_config() -> dict[str, Any]:
    bootstrap = Env(os.environ).text("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    return {"bootstrap.servers": bootstrap, **KafkaSecurity.from_env().librdkafka_config()}


def records(batch: str) -> list[tuple[str, bytes]]:
    """(key, value): three orders, the first again, and a record that is not JSON."""
    orders = [
        (f"customer-{n}", f'{{"orderId": "{batch}-{n}", "total": {10 * n}}}'.encode()) for n in (1, 2, 3)
    ]
    return [*orders, orders[0], ("customer-4", b"order 4, not JSON")]


def produce(config: dict[str, Any], topic: str, batch: str) -> bool:
    producer = Producer({**config, "linger.ms": 5})
    for key, value in records(batch):
        producer.produce(topic, key=key, value=value)
    remaining: int = producer.flush(TIMEOUT_S)
    return remaining == 0


def dead_letter(config: dict[str, Any], topic: str, timeout: float) -> Message | None:
    """The first record of the dead-letter topic (read without joining a consumer group)."""
    reader = Consumer({**config, "group.id": "legato-demo-dlt-reader", "enable.auto.commit": False})
    try:
        partitions = reader.list_topics(topic, timeout=TIMEOUT_S).topics[topic].partitions
        reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])

        def first() -> Message | None:
            return next((m for m in reader.consume(10, 0.5) if m.error() is None), None)

        return until(first, timeout)
    finally:
        reader.close()


def counted(api: httpx.Client, trigger_id: str, total: int) -> dict[str, int]:
    """The trigger's counts once they add up to `total` records, else {}."""
    counts: dict[str, int] = api.get(f"/triggers/{trigger_id}").json()["counts"]
    return counts if sum(counts.values()) >= total else {}


def run(
    api: httpx.Client,
    workflow_id: str,
    batch: str,
    wait: Callable[[str], dict[str, Any]],
    describe: Callable[[dict[str, Any]], str],
    timeout: float,
) -> int:
    """Create the topic and the trigger, produce, print what became of each record; 0 when as expected."""
    config = kafka_config()
    admin = AdminClient(config)
    topic, trigger_id = f"legato-demo-{batch}-orders", f"demo-{batch}-orders"
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(
            TIMEOUT_S
        )
    except KafkaException as exc:
        print(f"{trigger_id:<32} Kafka at {config['bootstrap.servers']} is not usable: {exc}")
        return 1
    body = {
        "id": trigger_id,
        "kafka": {"topic": topic},
        "workflowId": workflow_id,
        # the run's input: a text built from the record (the example workers' step1 takes any text)
        "input": "${join(' ', ['order', value.orderId, 'total', to_string(value.total)])}",
        "idempotencyKey": "${value.orderId}",
    }
    r = api.post("/triggers", json=body)
    r.raise_for_status()
    created = r.json()
    dlt, group = created["deadLetterTopic"], created["consumerGroup"]
    print(f"{trigger_id:<32} topic {topic} -> {workflow_id}, idempotencyKey ${{value.orderId}}")
    try:
        if not produce(config, topic, batch):
            print(f"{'':<32} the records could not be produced")
            return 1
        print(f"{'':<32} 5 records produced: 3 orders, order {batch}-1 again, 1 not JSON")
        counts = until(lambda: counted(api, trigger_id, 5), timeout)
        runs = api.get("/workflow/runs", params={"triggerId": trigger_id}).json()["runs"]
        finished = sorted((wait(r["runId"]) for r in runs), key=lambda run: str(run["input"]))
        for run in finished:
            print(f"{'':<32} {describe(run)}")
        print(
            f"{'':<32} started {counts.get('started')}, duplicates {counts.get('duplicates')}, "
            f"dead-lettered {counts.get('deadLettered')} (to {dlt})"
        )
        dead = dead_letter(config, dlt, timeout)
        if dead is not None:
            h = {name: v.decode() for name, v in dead.headers() or [] if v is not None}
            print(
                f"{'':<32} dead letter: offset {h.get('legato-source-offset')} "
                f"{h.get('legato-error-type')}: {h.get('legato-error-message')}"
            )
        expected = {"started": 3, "duplicates": 1, "deadLettered": 1}
        ended = all(run["status"] in ("COMPLETED", "FAILED") for run in finished)
        return 0 if counts == expected and ended and len(finished) == 3 and dead is not None else 1
    finally:
        api.delete(f"/triggers/{trigger_id}")
        print(f"{'':<32} deleted (the runs it started stay); {cleaned(admin, group, [topic, dlt])}")


def cleaned(admin: AdminClient, group: str, topics: list[str]) -> str:
    """Delete the demo's topics once no orchestrator reads them any more (the trigger's consumer
    group is empty: the intake closes a deleted trigger's consumers within about a second)."""

    def idle() -> bool:
        try:
            return not admin.describe_consumer_groups([group])[group].result(TIMEOUT_S).members
        except KafkaException:
            return False

    if not until(idle, 15):
        return f"topics {', '.join(topics)} left in place (still read)"
    try:
        for future in admin.delete_topics(topics, operation_timeout=TIMEOUT_S).values():
            future.result(TIMEOUT_S)
    except KafkaException as exc:
        return f"topics {', '.join(topics)} not deleted: {exc}"
    return "its topics deleted"
