"""Publishing trouble never re-runs a handler: results are re-sent until Kafka takes them, and a
fatal producer error stops the worker with WorkerFatalError."""

import dataclasses
import logging
from typing import Any

import pytest
from confluent_kafka import KafkaError

from legato_worker import Worker, WorkerFatalError, WorkerSettings

pytestmark = pytest.mark.integration


def test_result_is_resent_until_the_results_topic_exists(
    kafka: Any, settings: WorkerSettings, run_worker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="legato_worker")
    settings = dataclasses.replace(
        settings,
        create_topics=False,
        kafka_config={
            "allow.auto.create.topics": False,
            "message.timeout.ms": 1500,  # a producer property: give up on a write quickly
            "topic.metadata.propagation.max.ms": 500,
        },
    )
    kafka.settings = settings
    kafka.create_topics(["charge"], results=False)
    charges: list[Any] = []
    worker = Worker(settings=settings)

    def charge(payload: Any) -> Any:
        charges.append(payload)
        return {"charged": payload["amount"]}

    worker.register("charge", charge)
    job = kafka.job("charge", {"amount": 7})
    running = run_worker(worker)

    kafka.wait_until(lambda: "re-sending in" in caplog.text, 30, "a failed result write being re-sent")
    kafka.create_results_topic()
    result = kafka.result(job)
    assert result["status"] == "COMPLETED"
    assert charges == [{"amount": 7}]  # ran once, however often its result was re-sent
    running.stop()
    assert kafka.committed("charge") == 1


def test_fatal_producer_error_stops_the_worker(kafka: Any, settings: WorkerSettings, run_worker: Any) -> None:
    kafka.create_topics(["echo"])
    worker = Worker(settings=settings)
    worker.register("echo", lambda p: p)
    running = run_worker(worker)
    kafka.result(kafka.job("echo", 1))
    # A single PLAINTEXT broker cannot be made to raise a librdkafka fatal error (fenced idempotent
    # producer, revoked ACL), so hand the producer's error callback one as librdkafka would.
    assert worker._publisher is not None
    worker._publisher._on_client_error(KafkaError(KafkaError._FATAL, "injected fatal error", fatal=True))
    running.thread.join(30)
    assert not running.thread.is_alive(), "worker did not stop on a fatal error"
    assert isinstance(running.error, WorkerFatalError)
    assert "injected fatal error" in str(running.error)
