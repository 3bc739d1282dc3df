"""Client configurations (one place), tuned for small batches with low latency.

Every client of the orchestrator and the CLI connects with the LEGATO_KAFKA_SECURITY_PROTOCOL /
_SASL_* / _SSL_* settings (docs/security.md), read by the same code as the Python worker SDK's.
"""

from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from legato.settings import Settings
from legato_protocol.kafka_security import KafkaSecurity

MAX_MESSAGE_BYTES = 1_048_576
# How long the producer tries to deliver a record; the engine's hand-over of a fresh job to the
# scheduler and the scheduler's lease are longer, so a job being delivered is never sent again.
DELIVERY_TIMEOUT_MS = 10_000
HANDOVER_MS = 15_000


def connection(bootstrap: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Where the brokers are and how to reach them: the base of every client's configuration.

    Nagle's algorithm is off (librdkafka leaves it on): a small request written while an earlier one
    waits for its TCP acknowledgement would otherwise wait for it, up to the peer's delayed-ACK
    timer (40 to 200 ms on Linux). Kafka's Java clients turn it off too.
    """
    return {
        "bootstrap.servers": bootstrap,
        "socket.nagle.disable": True,
        **KafkaSecurity.from_env(environ).librdkafka_config(),
    }


def producer(settings: Settings) -> Producer:
    return Producer(
        {
            **connection(settings.kafka.bootstrap_servers),
            "client.id": "legato-orchestrator",
            "enable.idempotence": True,
            "acks": "all",
            # Sent at once: a batch's jobs are produced together after its commit, so under load
            # they share requests anyway; a linger only held a lone job back (docs/performance.md).
            "linger.ms": 0,
            "compression.type": "lz4",
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            # A job of LEGATO_MAX_PAYLOAD_BYTES plus its envelope fits; the broker takes 1048588.
            "message.max.bytes": MAX_MESSAGE_BYTES,
        }
    )


def results_consumer(settings: Settings) -> Consumer:
    return Consumer(
        {
            **connection(settings.kafka.bootstrap_servers),
            "group.id": settings.kafka.orchestrator_group,
            "client.id": "legato-orchestrator",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100,
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 1000,
        }
    )


def admin(settings: Settings, **extra: Any) -> AdminClient:
    return AdminClient({**connection(settings.kafka.bootstrap_servers), **extra})
