"""One action's consumer: fetch in batches, route each message, store offsets as jobs finish."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from legato_worker._dlt import undecodable_headers
from legato_worker._executor import Executor, Task
from legato_worker._handlers import Handler, unknown_action
from legato_worker._offsets import OffsetTracker
from legato_worker._publisher import Publisher
from legato_worker.protocol import DecodeError, decode_job, encode_result

log = logging.getLogger("legato_worker")

BATCH_SIZE = 500
POLL_TIMEOUT_S = 0.1
SLOT_WAIT_S = 0.1


class ActionConsumer:
    """Consumer group `<group prefix>.<action>` on `<jobs prefix>.<action>`."""

    def __init__(
        self,
        topic: str,
        config: dict[str, Any],
        handlers: Mapping[str, tuple[Handler, bool]],
        executor: Executor,
        publisher: Publisher,
        *,
        results_topic: str,
        dlt_topic: str,
        worker_id: str,
        on_fatal: Callable[[BaseException], None],
    ) -> None:
        self.topic = topic
        self._consumer = Consumer(config)
        self._handlers = handlers
        self._executor = executor
        self._publisher = publisher
        self._results_topic = results_topic
        self._dlt_topic = dlt_topic
        self._worker_id = worker_id
        self._on_fatal = on_fatal
        self._tracker = OffsetTracker()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"legato-{topic}", daemon=True)

    def start(self) -> None:
        self._consumer.subscribe(
            [self.topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        self._thread.start()

    def stop_fetching(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout=max(timeout, 0.0))

    def close(self) -> None:
        """After the drain: store what finished, commit it synchronously, leave the group."""
        try:
            self._store()
            self._consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                log.warning("final commit on %s failed: %s", self.topic, exc)
        finally:
            self._consumer.close()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                for msg in self._next_batch():
                    if not self._handle(msg):
                        break
                self._store()
        except Exception as exc:
            log.exception("consumer of %s stopped", self.topic)
            self._on_fatal(exc)

    def _next_batch(self) -> list[Message]:
        """Wait for one message (no longer than it takes to arrive), then take what else is there.

        `consume(n, timeout)` alone would hold a lone message back until the batch fills or the
        timeout passes, adding up to that timeout to every job's latency under light load.
        """
        first = self._consumer.poll(POLL_TIMEOUT_S)
        if first is None:
            return []
        return [first, *self._consumer.consume(num_messages=BATCH_SIZE - 1, timeout=0)]

    def _handle(self, msg: Message) -> bool:
        """Route one message; False if the worker began stopping before it could be handed on."""
        err = msg.error()
        if err is not None:
            if err.fatal():
                raise KafkaException(err)
            if err.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer error on %s: %s", self.topic, err)
            return True
        state = self._tracker.get(msg.partition())  # type: ignore[arg-type]
        offset: int = msg.offset()  # type: ignore[assignment]
        value = msg.value()
        try:
            job = decode_job(value)
        except DecodeError as exc:
            log.warning("poison pill at %s[%s]@%s: %s", msg.topic(), msg.partition(), offset, exc)
            state.track(offset)
            self._publisher.publish(
                self._dlt_topic,
                value or b"",
                msg.key(),
                functools.partial(state.done, offset),
                headers=undecodable_headers(msg, exc, self._worker_id),
            )
            return True
        entry = self._handlers.get(job["action"])
        if entry is None:
            state.track(offset)
            result = unknown_action(job, self._worker_id)
            self._publisher.publish(
                self._results_topic,
                encode_result(result),
                job["runId"],
                functools.partial(state.done, offset),
            )
            return True
        while not self._executor.gate.acquire(SLOT_WAIT_S):
            if self._stopping.is_set():
                return False  # not tracked: stays unstored, redelivered after a restart
        state.track(offset)
        self._executor.submit(Task(entry[0], entry[1], job, state, offset))
        return True

    def _store(self) -> None:
        storable = self._tracker.take_storable()
        if not storable:
            return
        try:
            self._consumer.store_offsets(
                offsets=[TopicPartition(self.topic, p, offset) for p, offset in storable]
            )
        except KafkaException as exc:  # partition revoked meanwhile: nothing to store
            log.debug("store_offsets on %s: %s", self.topic, exc)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._tracker.assign([p.partition for p in partitions])
        log.info("%s: assigned partitions %s", self.topic, [p.partition for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._store()
        # nothing stored, or the group is already gone: offsets then stay as last committed
        with contextlib.suppress(KafkaException):
            consumer.commit(asynchronous=False)
        self._tracker.revoke([p.partition for p in partitions])
        log.info("%s: revoked partitions %s", self.topic, [p.partition for p in partitions])

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._tracker.revoke([p.partition for p in partitions])
        log.warning("%s: lost partitions %s", self.topic, [p.partition for p in partitions])
