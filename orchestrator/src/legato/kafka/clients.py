"""Client configurations (one place), tuned for small batches with low latency."""

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from legato.settings import Settings


def producer(settings: Settings) -> Producer:
    return Producer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "client.id": "legato-orchestrator",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 1,
            "compression.type": "lz4",
            "message.timeout.ms": 30000,
        }
    )


def results_consumer(settings: Settings) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": settings.orchestrator_group,
            "client.id": "legato-orchestrator",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 5,
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 1000,
        }
    )


def admin(settings: Settings, **extra: Any) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers, **extra})
