"""The worker's one idempotent producer: results and dead letters, acknowledged by callback.

A write is never given up while the worker runs, so a handler never runs again because its result
could not be published:
- a transient error (broker down, timeout, ...) re-sends the same bytes after a backoff of 100 ms,
  doubling up to 5 s;
- a write Kafka refuses as too large is replaced by its smaller stand-in (`on_too_large`), e.g. a
  FAILED `ResultTooLarge` result;
- a fatal or authorization error stops the worker (`on_fatal`): nothing can be published any more.
Writes still unacknowledged when the worker closes are dropped; their jobs are redelivered.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from legato_worker._errors import WorkerFatalError
from legato_worker._kafka_errors import Kind, RateLimitedLog, kind_of

log = logging.getLogger("legato_worker")

Headers = Sequence[tuple[str, bytes | str | None]]
OnAck = Callable[[], None]
Replacement = Callable[[], tuple[bytes, Headers | None]]

BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0
POLL_S = 0.1


def backoff_s(attempt: int) -> float:
    """Delay before re-send number `attempt` (1-based): 0.1, 0.2, 0.4, ... at most 5 s."""
    return min(BACKOFF_FIRST_S * (1 << min(attempt - 1, 16)), BACKOFF_MAX_S)


class _Write:
    __slots__ = ("attempt", "headers", "key", "on_ack", "on_too_large", "topic", "value")

    def __init__(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        headers: Headers | None,
        on_ack: OnAck,
        on_too_large: Replacement | None,
    ) -> None:
        self.topic = topic
        self.value = value
        self.key = key
        self.headers = headers
        self.on_ack = on_ack
        self.on_too_large = on_too_large
        self.attempt = 0


class Publisher:
    """Produces asynchronously; `on_ack` runs (on a polling thread) once Kafka acknowledged a write."""

    def __init__(self, config: dict[str, Any], on_fatal: Callable[[WorkerFatalError], None]) -> None:
        self._on_fatal = on_fatal
        self._warn = RateLimitedLog(log)
        self._producer = Producer({**config, "error_cb": self._on_client_error})
        self._lock = threading.Lock()
        self._outstanding = 0
        self._due: list[tuple[float, int, _Write]] = []
        self._seq = itertools.count()
        self._failed = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._poll_loop, name="legato-producer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def failed(self) -> bool:
        return self._failed.is_set()

    def publish(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        on_ack: OnAck,
        headers: Headers | None = None,
        on_too_large: Replacement | None = None,
    ) -> None:
        """Produce `value`; `on_too_large` gives the (value, headers) to send if Kafka refuses its size."""
        write = _Write(topic, value, key, headers, on_ack, on_too_large)
        with self._lock:
            self._outstanding += 1
        self._send(write)

    def _send(self, write: _Write) -> None:
        if self._failed.is_set():
            self._finish(write, acked=False)
            return
        while True:
            try:
                self._producer.produce(
                    write.topic,
                    write.value,
                    write.key,
                    on_delivery=lambda err, msg: self._delivered(write, err, msg),
                    headers=None if write.headers is None else list(write.headers),
                )
                return
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.05)
            except KafkaException as exc:
                self._failed_write(write, exc.args[0])
                return

    def _delivered(self, write: _Write, err: KafkaError | None, _msg: Message) -> None:
        if err is None:
            self._finish(write, acked=True)
        else:
            self._failed_write(write, err)

    def _failed_write(self, write: _Write, err: KafkaError) -> None:
        kind = kind_of(err)
        if kind is Kind.FATAL:
            self.fail(f"Kafka refused a write to {write.topic}: {err.str()} ({err.name()})")
            self._finish(write, acked=False)
        elif kind is Kind.TOO_LARGE and write.on_too_large is not None:
            log.error(
                "Kafka refused a %d-byte write to %s as too large (%s); sending a smaller stand-in",
                len(write.value),
                write.topic,
                err.name(),
            )
            write.value, write.headers = write.on_too_large()
            write.on_too_large = None
            self._schedule(write, 0.0)
        else:
            write.attempt += 1
            delay = backoff_s(write.attempt)
            self._warn.warning(
                err.code(), "write to %s failed (%s); re-sending in %.1f s", write.topic, err.str(), delay
            )
            self._schedule(write, delay)

    def _schedule(self, write: _Write, delay_s: float) -> None:
        with self._lock:
            heapq.heappush(self._due, (time.monotonic() + delay_s, next(self._seq), write))

    def _finish(self, write: _Write, *, acked: bool) -> None:
        with self._lock:
            self._outstanding -= 1
        if acked:
            write.on_ack()

    def fail(self, reason: str) -> None:
        """Stop publishing for good and report the fatal error (once)."""
        if self._failed.is_set():
            return
        self._failed.set()
        log.error("fatal Kafka producer error, stopping the worker: %s", reason)
        self._on_fatal(WorkerFatalError(reason))

    def _on_client_error(self, err: KafkaError) -> None:
        if kind_of(err) is Kind.FATAL:
            self.fail(f"{err.str()} ({err.name()})")
        else:
            self._warn.warning(err.code(), "Kafka producer: %s", err.str())

    def _take_due(self) -> tuple[list[_Write], float]:
        """Writes due for re-sending now, and the seconds until the next one."""
        now = time.monotonic()
        ready: list[_Write] = []
        with self._lock:
            while self._due and self._due[0][0] <= now:
                ready.append(heapq.heappop(self._due)[2])
            wait = self._due[0][0] - now if self._due else POLL_S
        return ready, min(max(wait, 0.0), POLL_S)

    def _poll_loop(self) -> None:
        while not self._closed.is_set():
            ready, wait = self._take_due()
            for write in ready:
                self._send(write)
            self._producer.poll(wait)

    def flush(self, timeout_s: float) -> int:
        """Wait for every write (re-sends included); returns how many are still unacknowledged."""
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            with self._lock:
                outstanding = self._outstanding
            remaining = deadline - time.monotonic()
            if outstanding == 0 or remaining <= 0 or self._failed.is_set():
                return outstanding
            self._producer.poll(min(remaining, POLL_S / 2))  # serves delivery callbacks

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
