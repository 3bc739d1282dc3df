"""The worker's one idempotent producer: results and dead letters, acknowledged by callback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

log = logging.getLogger("legato_worker")

Headers = Sequence[tuple[str, bytes | str | None]]
OnAck = Callable[[], None]


class Publisher:
    """Produces asynchronously; `on_ack` runs on the poll thread once Kafka acknowledged a write.

    A write that Kafka finally rejects is produced again, so an acknowledged copy always exists
    before its offset is stored; while the worker is stopping it is dropped instead (the job's
    offset then stays unstored and the job is redelivered).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self._producer = Producer(config)
        self._stopping = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._poll_loop, name="legato-producer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def publish(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        on_ack: OnAck,
        headers: Headers | None = None,
    ) -> None:
        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is None:
                on_ack()
                return
            if self._stopping.is_set() or err.fatal():
                log.error("write to %s failed and is dropped: %s", topic, err)
                return
            log.warning("write to %s failed (%s); producing it again", topic, err)
            self._produce(topic, value, key, delivered, headers)

        self._produce(topic, value, key, delivered, headers)

    def _produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        callback: Callable[[KafkaError | None, Message], None],
        headers: Headers | None,
    ) -> None:
        while True:
            try:
                if headers is None:
                    self._producer.produce(topic, value, key, on_delivery=callback)
                else:
                    self._producer.produce(topic, value, key, on_delivery=callback, headers=list(headers))
                return
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.05)

    def _poll_loop(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.1)

    def flush(self, timeout_s: float) -> int:
        """Wait for outstanding writes; returns how many are still unacknowledged."""
        self._stopping.set()
        remaining: int = self._producer.flush(max(timeout_s, 0.0))
        return remaining

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
