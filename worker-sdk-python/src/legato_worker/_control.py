"""The control topic (protocol v2, item 11): every worker reads every Cancel.

No consumer group, no commits: the reader assigns itself every partition of the topic from the
beginning. `catch_up` reads up to the end offsets found when it was called and returns only then,
so the worker starts no job before it knows every withdrawal the topic still holds (24 h); a
thread then tails the topic for as long as the worker runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from legato_protocol import Cancel, DecodeError, decode_cancel
from legato_worker._errors import WorkerFatalError
from legato_worker._kafka_errors import Kind, RateLimitedLog, kind_of

log = logging.getLogger("legato_worker")

POLL_S = 0.2
METADATA_TIMEOUT_S = 10.0
WAIT_FOR_TOPIC_S = 2.0
RETRY_S = 0.5
QUIET_S = 3.0


def reader_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The reader's consumer properties over the shared client `config` (error_cb aside)."""
    return {
        **config,
        # never joins this group (assign, not subscribe) and never commits to it
        "group.id": f"legato-control-{config.get('client.id', 'worker')}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        # an out-of-range or offset-validation reset (e.g. around a broker restart) reads the topic
        # again rather than jumping to its end past Cancels never read (as the Node and Java SDKs)
        "auto.offset.reset": "earliest",
    }


class ControlReader:
    def __init__(
        self,
        topic: str,
        config: dict[str, Any],
        on_cancel: Callable[[Cancel], None],
        on_fatal: Callable[[WorkerFatalError], None],
    ) -> None:
        self.topic = topic
        self._on_cancel = on_cancel
        self._on_fatal = on_fatal
        self._warn = RateLimitedLog(log)
        self._consumer = Consumer({**reader_config(config), "error_cb": self._on_client_error})
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._tail, name="legato-control", daemon=True)

    def catch_up(self, stop: threading.Event) -> bool:
        """Wait for the topic, then read it to the end offsets it has now; False if `stop` was set."""
        partitions = self._await_partitions(stop)
        if partitions is None:
            return False
        ends: dict[int, int] = {}
        for partition in partitions:
            low, high = self._watermarks(partition, stop)
            if high > low:
                ends[partition] = high
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
        read = 0
        while ends and not stop.is_set():
            msg = self._consumer.poll(POLL_S)
            if msg is None:
                continue
            at, offset = msg.partition(), msg.offset()
            err = msg.error()
            eof = err is not None and err.code() == KafkaError._PARTITION_EOF
            if not eof:
                read += self._handle(msg)  # an error is logged (rate-limited) or fatal
                if err is not None:  # and says nothing about how far the partition was read
                    continue
            # EOF carries the end offset; a record, its own offset (the last one is end - 1)
            if at is not None and offset is not None and offset + (0 if eof else 1) >= ends.get(at, 0):
                ends.pop(at, None)
        if stop.is_set():
            return False
        log.info("read %d cancellation(s) from %s", read, self.topic)
        return True

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._consumer.close()

    def _await_partitions(self, stop: threading.Event) -> list[int] | None:
        """The topic's partitions; waits while the topic does not exist (a WARN every 10 s once it
        has waited QUIET_S: a topic just created may take a moment to appear in the metadata)."""
        began = time.monotonic()
        while not stop.is_set():
            try:
                metadata = self._consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT_S)
                info = metadata.topics.get(self.topic)
                if info is not None and info.error is None and info.partitions:
                    return sorted(info.partitions)
                reason = f"{info.error}" if info is not None and info.error is not None else "missing"
            except KafkaException as exc:
                reason = str(exc)
            if time.monotonic() - began >= QUIET_S:
                self._warn.warning(-1, "waiting for the control topic %s (%s)", self.topic, reason)
            stop.wait(RETRY_S)
        return None

    def _watermarks(self, partition: int, stop: threading.Event) -> tuple[int, int]:
        while True:
            try:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self.topic, partition), timeout=METADATA_TIMEOUT_S
                )
                return int(low), int(high)
            except KafkaException as exc:
                self._warn.warning(-2, "reading the end of %s: %s", self.topic, exc)
                if stop.wait(WAIT_FOR_TOPIC_S):
                    return 0, 0

    def _tail(self) -> None:
        try:
            while not self._stopping.is_set():
                msg = self._consumer.poll(POLL_S)
                if msg is not None:
                    self._handle(msg)
        except WorkerFatalError as exc:
            self._on_fatal(exc)
        except Exception as exc:
            log.exception("the reader of %s stopped", self.topic)
            self._on_fatal(WorkerFatalError(f"reader of {self.topic} stopped: {exc}"))

    def _handle(self, msg: Message) -> int:
        """Apply one record; 1 if it was a Cancel."""
        err = msg.error()
        if err is not None:
            if kind_of(err) is Kind.FATAL:
                raise WorkerFatalError(f"reader of {self.topic}: {err.str()} ({err.name()})")
            if err.code() != KafkaError._PARTITION_EOF:
                self._warn.warning(err.code(), "control topic %s: %s", self.topic, err.str())
            return 0
        try:
            cancel = decode_cancel(msg.value())
        except DecodeError as exc:
            self._warn.warning(-3, "ignoring an undecodable record on %s: %s", self.topic, exc)
            return 0
        self._on_cancel(cancel)
        return 1

    def _on_client_error(self, err: KafkaError) -> None:
        if kind_of(err) is Kind.FATAL:
            self._on_fatal(WorkerFatalError(f"reader of {self.topic}: {err.str()} ({err.name()})"))
        else:
            self._warn.warning(err.code(), "Kafka control reader: %s", err.str())
