"""The worker's one idempotent producer: results and dead letters, produced in batches by one thread.

`publish()` only queues a write (any thread, no lock) and wakes the producer thread if it sleeps.
That thread, in one pass: produces everything queued (and the re-sends now due), serves the
delivery reports with one `poll(0)`, then runs the acknowledged writes' `on_ack`s. Everything past
the queue (the writes in flight, the re-send schedule, the acknowledgements) belongs to that thread
alone, so it needs no lock; its `_Write` objects are their own delivery callbacks (no closure per
write).

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
from collections import deque
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
IDLE_S = 0.1
"""The producer thread's longest sleep: with nothing queued or in flight (its error callbacks)."""
ACK_POLL_S = 0.005
"""Its sleep while writes are in flight and nothing is queued: how late an acknowledgement may be
served (offsets are stored from acknowledgements; a result itself is never held back by this)."""


def backoff_s(attempt: int) -> float:
    """Delay before re-send number `attempt` (1-based): 0.1, 0.2, 0.4, ... at most 5 s."""
    return min(BACKOFF_FIRST_S * (1 << min(attempt - 1, 16)), BACKOFF_MAX_S)


class _Write:
    """One record to produce, and its own delivery callback (run on the producer thread)."""

    __slots__ = ("attempt", "headers", "key", "on_ack", "on_too_large", "publisher", "topic", "value")

    def __init__(
        self,
        publisher: Publisher,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        headers: Headers | None,
        on_ack: OnAck,
        on_too_large: Replacement | None,
    ) -> None:
        self.publisher = publisher
        self.topic = topic
        self.value = value
        self.key = key
        self.headers = headers
        self.on_ack = on_ack
        self.on_too_large = on_too_large
        self.attempt = 0

    def __call__(self, err: KafkaError | None, _msg: Message) -> None:
        if err is None:
            self.publisher._acked.append(self)
        else:
            self.publisher._failed_write(self, err)


class Publisher:
    """Produces asynchronously; `on_ack` runs (on the producer thread) once Kafka acknowledged a write."""

    def __init__(self, config: dict[str, Any], on_fatal: Callable[[WorkerFatalError], None]) -> None:
        self._on_fatal = on_fatal
        self._warn = RateLimitedLog(log)
        self._producer = Producer({**config, "error_cb": self._on_client_error})
        self._queue: deque[_Write] = deque()
        """Writes not produced yet: appended by any thread, taken by the producer thread."""
        self._acked: list[_Write] = []
        """Acknowledged by the delivery reports of the current poll (producer thread)."""
        self._in_flight = 0
        """Taken from the queue and not finished: produced, or waiting for a re-send (producer
        thread). It goes up before a write leaves the queue, so `outstanding` never misses one."""
        self._due: list[tuple[float, int, _Write]] = []  # re-sends by due time (producer thread)
        self._seq = itertools.count()
        self._asleep = False
        self._wake = threading.Event()
        self._flushing = False
        self._settled = threading.Condition()
        self._failed = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legato-producer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def failed(self) -> bool:
        return self._failed.is_set()

    @property
    def outstanding(self) -> int:
        """Writes queued, in flight or waiting for a re-send."""
        return len(self._queue) + self._in_flight

    def publish(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        on_ack: OnAck,
        headers: Headers | None = None,
        on_too_large: Replacement | None = None,
    ) -> None:
        """Queue `value`; `on_too_large` gives the (value, headers) to send if Kafka refuses its size."""
        self._queue.append(_Write(self, topic, value, key, headers, on_ack, on_too_large))
        # after the append: a producer thread going to sleep checks the queue after saying so
        if self._asleep:
            self._wake.set()

    # --- the producer thread -----------------------------------------------------------------

    def _run(self) -> None:
        poll = self._producer.poll
        while True:
            try:
                self._produce_queued()
                poll(0)  # delivery reports: into self._acked, or re-scheduled
                if self._acked:
                    self._acknowledge()
            except Exception:  # never let publishing die; the next pass tries again
                log.exception("producing results failed")
            if self._flushing:
                self._notify_settled()
            if self._closed.is_set():
                return
            self._sleep()

    def _produce_queued(self) -> None:
        queue = self._queue
        if queue:
            send = self._send
            while queue:
                self._in_flight += 1  # before it leaves the queue: `outstanding` stays whole
                send(queue.popleft())
        if self._due and self._due[0][0] <= time.monotonic():
            now = time.monotonic()
            due = self._due
            while due and due[0][0] <= now:
                self._send(heapq.heappop(due)[2])

    def _send(self, write: _Write) -> None:
        if self._failed.is_set():
            self._in_flight -= 1  # dropped unacknowledged: the job is redelivered
            return
        produce = self._producer.produce
        while True:
            try:
                produce(write.topic, write.value, write.key, on_delivery=write, headers=write.headers)
                return
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.05)
            except KafkaException as exc:
                self._failed_write(write, exc.args[0])
                return

    def _acknowledge(self) -> None:
        """The acknowledged writes of one pass: counted off together, then their `on_ack`s."""
        acked, self._acked = self._acked, []
        self._in_flight -= len(acked)
        for write in acked:
            try:
                write.on_ack()
            except Exception:
                log.exception("acknowledging a write to %s failed", write.topic)

    def _sleep(self) -> None:
        """Until a write is queued, a re-send is due, or (writes in flight) ACK_POLL_S has passed."""
        timeout = ACK_POLL_S if self._in_flight > len(self._due) else IDLE_S
        if self._due:
            timeout = min(timeout, max(self._due[0][0] - time.monotonic(), 0.0))
        self._wake.clear()
        self._asleep = True  # before looking at the queue: see publish()
        if not self._queue and timeout > 0:
            self._wake.wait(timeout)
        self._asleep = False

    def _failed_write(self, write: _Write, err: KafkaError) -> None:
        """On the producer thread (a delivery report or a refused produce call)."""
        kind = kind_of(err)
        if kind is Kind.FATAL:
            self.fail(f"Kafka refused a write to {write.topic}: {err.str()} ({err.name()})")
            self._in_flight -= 1
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
        heapq.heappush(self._due, (time.monotonic() + delay_s, next(self._seq), write))

    def fail(self, reason: str) -> None:
        """Stop publishing for good and report the fatal error (once)."""
        if self._failed.is_set():
            return
        self._failed.set()
        log.error("fatal Kafka producer error, stopping the worker: %s", reason)
        self._on_fatal(WorkerFatalError(reason))
        self._wake.set()

    def _on_client_error(self, err: KafkaError) -> None:
        if kind_of(err) is Kind.FATAL:
            self.fail(f"{err.str()} ({err.name()})")
        else:
            self._warn.warning(err.code(), "Kafka producer: %s", err.str())

    def _notify_settled(self) -> None:
        with self._settled:
            self._settled.notify_all()

    # --- shutdown ----------------------------------------------------------------------------

    def flush(self, timeout_s: float) -> int:
        """Wait for every write (re-sends included); returns how many are still unacknowledged."""
        deadline = time.monotonic() + max(timeout_s, 0.0)
        self._flushing = True
        try:
            with self._settled:
                while True:
                    outstanding = self.outstanding
                    remaining = deadline - time.monotonic()
                    if outstanding == 0 or remaining <= 0 or self._failed.is_set():
                        return outstanding
                    if not self._thread.is_alive():  # never started, or closed: nobody produces
                        return outstanding
                    self._wake.set()
                    self._settled.wait(min(remaining, IDLE_S))
        finally:
            self._flushing = False

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
