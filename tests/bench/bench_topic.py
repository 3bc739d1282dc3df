"""`make bench`: runs started per second from a Kafka topic's backlog, next to HTTP triggers.

The same 3-step no-op workflow, the same number of runs, on this machine: once through the HTTP
API (16 keep-alive connections), once from a topic holding that many JSON records, taken by a
Kafka-topic trigger created `fromBeginning` (no HTTP). A run counts as started when its row is in
PostgreSQL (with its first job in the outbox); no worker runs, so only the starting is measured.
Bounded: a fixed number of runs and a deadline; the topic and trigger are removed at the end, and
the runs cancelled.
"""

import argparse
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import psycopg
from bench import _trigger_slice
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from fleet import await_condition, print_table

from legato_protocol.kafka_security import KafkaSecurity

PARTITIONS = 6


SPAN = (
    "SELECT count(*), extract(epoch FROM max(created_at) - min(created_at)) FROM runs WHERE workflow_id = %s"
)


def _rate(conn: psycopg.Connection[Any], wid: str, runs: int, timeout: float) -> float:
    """Runs started per second, once `runs` runs of `wid` exist: by their rows' own timestamps, from
    the first run to the last (a consumer's start or a client's ramp-up is not counted)."""

    def done() -> bool:
        row = conn.execute(SPAN, (wid,)).fetchone()
        return row is not None and int(str(row[0])) >= runs

    await_condition(done, timeout)
    row = conn.execute(SPAN, (wid,)).fetchone()
    assert row is not None
    return (runs - 1) / float(str(row[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEGATO_DATABASE_URL", "postgresql://legato:legato@127.0.0.1:5432/legato"),
    )
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "10000")))
    parser.add_argument("--clients", type=int, default=16, help="HTTP connections")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    api = httpx.Client(base_url=args.api, timeout=30)
    kafka = {
        "bootstrap.servers": os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        **KafkaSecurity.from_env().librdkafka_config(),
    }
    tag = uuid.uuid4().hex[:6]
    steps = [{"action": f"bench-topic-{n}", "stepIndex": n} for n in range(3)]
    http_wid, topic_wid = f"bench-http-{tag}", f"bench-topic-{tag}"
    for wid in (http_wid, topic_wid):
        api.post("/workflow/", json={"id": wid, "steps": steps}).raise_for_status()
    topic, trigger_id = f"bench-orders-{tag}", f"bench-{tag}"
    admin = AdminClient(kafka)
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(30)
    try:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            with ThreadPoolExecutor(args.clients) as pool:
                slices = [
                    pool.submit(_trigger_slice, args.api, http_wid, c, args.clients, args.runs, 0)
                    for c in range(args.clients)
                ]
                for s in slices:
                    s.result()
            http_rate = _rate(conn, http_wid, args.runs, args.timeout)

            producer = Producer({**kafka, "linger.ms": 20})
            for i in range(args.runs):
                producer.produce(topic, value=orjson.dumps({"i": i}), key=str(i))
            if producer.flush(60):
                raise RuntimeError("the backlog was not produced")
            body = {
                "id": trigger_id,
                "kafka": {"topic": topic, "fromBeginning": True},
                "workflowId": topic_wid,
            }
            api.post("/triggers", json=body).raise_for_status()
            topic_rate = _rate(conn, topic_wid, args.runs, args.timeout)
    finally:
        api.delete(f"/triggers/{trigger_id}")
        admin.delete_topics([topic])
        for wid in (http_wid, topic_wid):  # nothing left waiting for a worker
            api.post(
                "/workflow/runs/cancel", json={"filter": {"workflowId": wid}, "limit": 10_000}, timeout=120
            )
    print_table(
        f"Legato bench: runs started, {args.runs} runs of a 3-step workflow, {os.cpu_count()} cores "
        f"(HTTP: {args.clients} connections; topic: {PARTITIONS} partitions, one orchestrator)",
        [
            ("runs started/s, HTTP triggers", f"{http_rate:,.0f}"),
            ("runs started/s, topic backlog", f"{topic_rate:,.0f}"),
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
