"""Produce records and wait until Kafka has acknowledged every one (dead letters, Cancel records).

Waits for these records' own deliveries only: the producer is polled (which serves every delivery
callback, the engine's jobs included) until each of them has its answer, never flushed, so a slow
delivery of some unrelated job does not hold the caller up.
"""

import time
from dataclasses import dataclass

from confluent_kafka import KafkaError, Message, Producer

POLL_S = 0.01


class NotAcknowledged(RuntimeError):
    pass


@dataclass(slots=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, str | bytes | None]]


def produce_confirmed(producer: Producer, records: list[Record], timeout: float = 30) -> None:
    errors: list[str] = []
    pending = [len(records)]

    def delivered(err: KafkaError | None, msg: Message) -> None:
        pending[0] -= 1
        if err is not None:
            errors.append(f"{msg.topic()}: {err}")

    for r in records:
        producer.produce(r.topic, value=r.value, key=r.key, headers=r.headers, on_delivery=delivered)
    deadline = time.monotonic() + timeout
    while pending[0] > 0 and time.monotonic() < deadline:
        producer.poll(POLL_S)
    if errors or pending[0]:
        raise NotAcknowledged(f"{pending[0]} unacknowledged, errors: {errors[:3]}")
