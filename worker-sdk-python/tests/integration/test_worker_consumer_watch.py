"""The consumer watch on real Kafka: records behind while a backlog waits behind busy slots (no
stall then), and a consumer that holds a partition but never fetches is reported as stalled."""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from legato_worker import Worker, WorkerSettings
from legato_worker._consumer_watch import ConsumerWatch
from legato_worker._metrics import PrometheusMetrics

pytestmark = pytest.mark.integration

BACKLOG = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int, name: str, action: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("action") == action:
                return float(sample.value)
    return None


def test_records_behind_a_busy_worker_are_counted_and_are_no_stall(
    kafka: Any, settings: WorkerSettings, run_worker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="legato_worker")
    port = free_port()
    settings = dataclasses.replace(settings, concurrency=1, stall_timeout_ms=1500, metrics_port=port)
    kafka.settings = settings
    kafka.create_topics(["slow"], partitions=1)

    def slow(payload: Any) -> Any:
        if payload == 0:  # the job's work: the only slot stays busy for 4x the stall timeout
            time.sleep(6.0)
        return payload

    worker = Worker(settings=settings)
    worker.register("slow", slow)
    jobs = [kafka.job("slow", n, flush=False) for n in range(BACKLOG)]
    kafka.producer.flush(30)
    running = run_worker(worker)

    # one job runs, one waits for the slot (the consumer then pauses): the rest are behind
    behind: list[float | None] = [None]

    def backlog_seen() -> bool:
        try:
            behind[0] = scrape(port, "legato_worker_records_behind", "slow")
        except urllib.error.URLError:  # not serving yet
            return False
        return behind[0] is not None and behind[0] >= BACKLOG - 2

    kafka.wait_until(backlog_seen, what="legato_worker_records_behind{action=slow} >= 6")
    assert behind[0] is not None and behind[0] <= BACKLOG - 1
    assert [kafka.result(j, timeout=60)["status"] for j in jobs] == ["COMPLETED"] * BACKLOG
    kafka.wait_until(
        lambda: scrape(port, "legato_worker_records_behind", "slow") == 0,
        what="legato_worker_records_behind{action=slow} back to 0",
    )
    assert scrape(port, "legato_worker_stalls_total", "slow") == 0
    assert scrape(port, "legato_worker_stalled", "slow") == 0
    assert "not making progress" not in caplog.text
    running.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_consumer_that_never_fetches_is_reported(
    kafka_bootstrap: str, unique_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    topic, group = f"{unique_prefix}.jobs.idle", f"{unique_prefix}.workers.idle"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(5):
        producer.produce(topic, str(n).encode())
    producer.flush(30)
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group})
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
        consumer.assign([TopicPartition(topic, 0)])  # holds the partition, never polls
        registry = CollectorRegistry()
        clock = FakeClock()
        watch = ConsumerWatch("idle", topic, 3000, PrometheusMetrics(registry, ["idle"], 1, lambda: 0), clock)

        def check() -> None:
            clock.now += watch.interval_s
            assert watch.check(consumer, {0}, records=0, held_back=False) is not None

        caplog.set_level(logging.INFO, logger="legato_worker")
        check()  # next = the committed offset 1, end 5 (fresh from the broker)
        assert registry.get_sample_value("legato_worker_records_behind", {"action": "idle"}) == 4
        for n in range(5, 7):
            producer.produce(topic, str(n).encode())
        producer.flush(30)
        for _ in range(3):
            check()
        assert registry.get_sample_value("legato_worker_records_behind", {"action": "idle"}) == 6
        assert registry.get_sample_value("legato_worker_stalls_total", {"action": "idle"}) == 1
        assert registry.get_sample_value("legato_worker_stalled", {"action": "idle"}) == 1
        assert (
            f"action 'idle': 6 record(s) wait in assigned partition(s) {topic}-0 but none was fetched"
            " for 3 s; the consumer is not making progress"
        ) in caplog.text
    finally:
        consumer.close()
