"""One action's consumer: takes only as many jobs as it has handler slots, never stops polling.

- It holds at most one slot's worth of jobs beyond the running ones (`concurrency` running plus
  `concurrency` waiting for a slot, like Java's `max.poll.records`). When that buffer stays full
  (longer than PAUSE_AFTER_S, or a quarter of max.poll.interval.ms) it pauses its partitions and
  keeps polling, so the group never evicts it for exceeding max.poll.interval.ms, and resumes as
  soon as the buffer has room again. Short waits never pause: a pause drops librdkafka's
  prefetched messages and a resume waits for a new fetch, and pausing whenever every slot was
  busy for a few milliseconds cut no-op throughput a hundredfold (6,700 -> 65 jobs/s).
- Every message is tracked in arrival order; its offset is stored once its result or DLT copy is
  acknowledged, never past a job still in flight (see `_offsets.py`).
- On revocation, jobs not yet started are dropped; jobs of the revoked partitions still running
  finish and publish, but their offsets are never stored: the new owner owns the partition.
- Every WATCH_INTERVAL the loop asks its `ConsumerWatch` how many records wait unfetched and
  whether the consumer has stalled (`_consumer_watch.py`); never per message.
- A partition whose start position could not be looked up because its leader did not know the
  topic (a topic just created on a multi-broker cluster) is given up on by librdkafka: it never
  fetches it again. The loop starts that partition's fetch again (a seek to where it stands)
  RESTART_AFTER_S later, and again after each such error, until the leader knows the topic.
- A group can also form while the broker its leader asked does not list the new topic yet: every
  member is assigned nothing, and librdkafka does not rebalance once the topic shows up. A consumer
  assigned nothing for EMPTY_RECHECK_S while its topic has partitions joins the group again (a new
  subscription), at most EMPTY_REJOINS times in its life: a worker that is one too many for the
  topic's partitions costs its group that many rebalances, early in its life, and no more.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from legato_protocol import DecodeError, decode_job
from legato_worker import _tracing
from legato_worker._clock import Clock, system_clock
from legato_worker._consumer_watch import ConsumerWatch
from legato_worker._dlt import undecodable_headers
from legato_worker._envelope import seal
from legato_worker._errors import WorkerFatalError
from legato_worker._executor import Executor, Task
from legato_worker._handlers import Registered, unknown_action
from legato_worker._kafka_errors import Kind, RateLimitedLog, kind_of
from legato_worker._offsets import OffsetTracker
from legato_worker._publisher import Publisher

log = logging.getLogger("legato_worker")

POLL_TIMEOUT_S = 0.1
PAUSE_AFTER_S = 1.0
RESTART_AFTER_S = 1.0
COMMITTED_TIMEOUT_S = 5.0
EMPTY_RECHECK_S = 10.0
EMPTY_REJOINS = 2
METADATA_TIMEOUT_S = 5.0


class ActionConsumer:
    """Consumer group `<group prefix>.<action>` on `<jobs prefix>.<action>`."""

    def __init__(
        self,
        topic: str,
        config: dict[str, Any],
        handlers: Mapping[str, Registered],
        executor: Executor,
        publisher: Publisher,
        *,
        action: str,
        stall_timeout_ms: int,
        results_topic: str,
        dlt_topic: str,
        worker_id: str,
        max_payload_bytes: int,
        on_fatal: Callable[[WorkerFatalError], None],
        clock: Clock = system_clock,
    ) -> None:
        self.topic = topic
        self._clock = clock
        self._warn = RateLimitedLog(log)
        self._consumer = Consumer({**config, "error_cb": self._on_client_error})
        self._handlers = handlers
        self._executor = executor
        self._publisher = publisher
        self._results_topic = results_topic
        self._dlt_topic = dlt_topic
        self._worker_id = worker_id
        self._max_payload_bytes = max_payload_bytes
        self._on_fatal = on_fatal
        self._group = str(config.get("group.id", ""))
        self._tracker = OffsetTracker()
        self._waiting: deque[Task] = deque()
        """Jobs received (and tracked) but not started: no slot was free. Only the consumer thread."""
        self._assigned: set[int] = set()
        self._paused: set[int] = set()
        self._restarts: dict[int, float] = {}
        self._empty_since: float | None = None
        """When the consumer was last assigned no partition (None: it holds some, or not joined)."""
        self._rejoins = 0
        """Partitions whose fetch librdkafka gave up on -> when to start it again (monotonic)."""
        self._full_since: float | None = None
        self._records = 0
        """Records received so far (for the watch: a record arrived since its last check)."""
        self._watch = ConsumerWatch(action, topic, stall_timeout_ms, executor.metrics)
        max_poll_s = int(config.get("max.poll.interval.ms", 300_000)) / 1000
        self._pause_after_s = min(PAUSE_AFTER_S, max_poll_s / 4)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"legato-{topic}", daemon=True)

    def start(self) -> None:
        self._subscribe()
        self._thread.start()

    def _subscribe(self) -> None:
        self._consumer.subscribe(
            [self.topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )

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
        gate = self._executor.gate
        try:
            while not self._stopping.is_set():
                self._store()
                self._start_waiting()
                if self._restarts:
                    self._restart_fetches()
                if self._empty_since is not None:
                    self._rejoin_if_nothing_assigned()
                if self._watch.due():
                    self._watch.check(
                        self._consumer,
                        self._assigned,
                        records=self._records,
                        held_back=bool(self._waiting) or gate.free() == 0,
                    )
                room = gate.limit - len(self._waiting)
                if room <= 0:
                    now = time.monotonic()
                    if self._full_since is None:
                        self._full_since = now
                    if now - self._full_since >= self._pause_after_s:
                        self._pause()
                        self._receive(self._consumer.poll(0))  # stays in the group; paused: no jobs
                    gate.wait_free(POLL_TIMEOUT_S)
                else:
                    self._full_since = None
                    self._resume()
                    self._fetch(gate.free() + room)
        except WorkerFatalError as exc:
            self._on_fatal(exc)
        except Exception as exc:
            log.exception("consumer of %s stopped", self.topic)
            self._on_fatal(WorkerFatalError(f"consumer of {self.topic} stopped: {exc}"))

    def _fetch(self, free: int) -> None:
        """Take at most `free` messages: wait for the first, then whatever else is already there.

        `consume(n, timeout)` alone would hold a lone message back until `n` arrived or the
        timeout passed, adding that timeout to every job's latency under light load.
        """
        first = self._consumer.poll(POLL_TIMEOUT_S)
        if first is None:
            return
        self._receive(first)
        if free > 1:
            for msg in self._consumer.consume(num_messages=free - 1, timeout=0):
                self._receive(msg)

    def _start_waiting(self) -> None:
        gate = self._executor.gate
        while self._waiting and gate.try_acquire():
            task = self._waiting.popleft()
            if self._tracker.owns(task.state):
                self._executor.submit(task)
            else:  # revoked while waiting (normally dropped in _on_revoke already)
                gate.release()

    def _receive(self, msg: Message | None) -> None:
        if msg is None:
            return
        err = msg.error()
        if err is not None:
            self._consumer_error(err, msg.partition())
            return
        self._records += 1
        partition: int = msg.partition()
        state = self._tracker.get(partition)
        if state is None:  # fetched before a revocation: the partition's new owner runs it
            return
        offset: int = msg.offset()
        state.track(offset)
        value = msg.value()
        try:
            job = decode_job(value)
        except DecodeError as exc:
            log.warning("poison pill at %s[%s]@%s: %s", msg.topic(), partition, offset, exc)
            dlt_headers = undecodable_headers(msg, exc, self._worker_id, self._clock())
            self._publisher.publish(
                self._dlt_topic,
                value or b"",
                msg.key(),
                functools.partial(state.done, offset),
                headers=dlt_headers,
                on_too_large=lambda: (b"", [*dlt_headers, ("legato-dlt-value-dropped", "too large")]),
            )
            return
        entry = self._handlers.get(job["action"])
        if entry is None:
            result = unknown_action(job, self._worker_id, self._clock)
            self._publisher.publish(
                self._results_topic,
                seal(result, self._max_payload_bytes),
                job["runId"],
                functools.partial(state.done, offset),
            )
            return
        source = None
        if _tracing.ENABLED:  # read with the job: its headers carry the trace context
            source = _tracing.Source(msg.headers(), self.topic, partition, offset, self._group)
        task = Task(entry, job, state, offset, source)
        if not self._waiting and self._executor.gate.try_acquire():
            self._executor.submit(task)
        else:
            self._waiting.append(task)

    def _consumer_error(self, err: KafkaError, partition: int | None = None) -> None:
        if kind_of(err) is Kind.FATAL:
            reason = f"consumer of {self.topic}: {err.str()} ({err.name()})"
            log.error("fatal Kafka consumer error, stopping the worker: %s", reason)
            raise WorkerFatalError(reason)
        if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART and partition in self._assigned:
            self._restarts.setdefault(partition, time.monotonic() + RESTART_AFTER_S)
        if err.code() != KafkaError._PARTITION_EOF:
            self._warn.warning(err.code(), "consumer error on %s: %s", self.topic, err.str())

    def _on_client_error(self, err: KafkaError) -> None:
        if kind_of(err) is Kind.FATAL:
            reason = f"consumer of {self.topic}: {err.str()} ({err.name()})"
            log.error("fatal Kafka consumer error, stopping the worker: %s", reason)
            self._on_fatal(WorkerFatalError(reason))
        else:
            self._warn.warning(err.code(), "Kafka consumer of %s: %s", self.topic, err.str())

    def _restart_fetches(self) -> None:
        """Seek each due partition to where it stands: its position, else its committed offset,
        else the beginning (auto.offset.reset=earliest); librdkafka then fetches it again."""
        now = time.monotonic()
        for partition in [p for p, at in self._restarts.items() if at <= now]:
            del self._restarts[partition]
            if partition not in self._assigned:
                continue
            tp = TopicPartition(self.topic, partition)
            try:
                offset: int = self._consumer.position([tp])[0].offset
                if offset < 0:
                    offset = self._consumer.committed([tp], timeout=COMMITTED_TIMEOUT_S)[0].offset
                start = offset if offset >= 0 else OFFSET_BEGINNING
                self._consumer.seek(TopicPartition(self.topic, partition, start))
                log.info(
                    "%s [%d]: fetching again (from %s)",
                    self.topic,
                    partition,
                    offset if offset >= 0 else "the beginning",
                )
            except KafkaException as exc:
                self._restarts[partition] = now + RESTART_AFTER_S
                log.debug("%s [%d]: fetch not restarted yet: %s", self.topic, partition, exc)

    def _rejoin_if_nothing_assigned(self) -> None:
        """Join the group again when it assigned this consumer nothing for EMPTY_RECHECK_S while
        the topic has partitions (see the module's docstring)."""
        assert self._empty_since is not None
        if time.monotonic() - self._empty_since < EMPTY_RECHECK_S or self._assigned:
            return
        self._empty_since = None
        if self._rejoins >= EMPTY_REJOINS:
            return
        try:
            topic = self._consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT_S).topics.get(self.topic)
        except KafkaException as exc:
            self._empty_since = time.monotonic()  # asked again after EMPTY_RECHECK_S
            log.debug("%s: partitions unknown: %s", self.topic, exc)
            return
        count = 0 if topic is None or topic.error is not None else len(topic.partitions)
        if count == 0:
            self._empty_since = time.monotonic()
            return
        self._rejoins += 1
        log.info(
            "%s: no partition assigned while the topic has %d; joining the group again", self.topic, count
        )
        self._consumer.unsubscribe()
        self._subscribe()

    def _partitions(self, partitions: set[int]) -> list[TopicPartition]:
        return [TopicPartition(self.topic, p) for p in sorted(partitions)]

    def _pause(self) -> None:
        todo = self._assigned - self._paused
        if todo:
            self._consumer.pause(self._partitions(todo))
            self._paused |= todo

    def _resume(self) -> None:
        if self._paused:
            self._consumer.resume(self._partitions(self._paused))
            self._paused.clear()

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

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = {p.partition for p in partitions}
        self._empty_since = None if numbers else time.monotonic()
        self._tracker.assign(sorted(numbers))
        consumer.assign(partitions)
        self._assigned |= numbers
        self._watch.reset()
        log.info("%s: assigned partitions %s", self.topic, sorted(numbers))

    def _forget(self, numbers: set[int]) -> None:
        """Drop waiting jobs and the pause state of partitions this consumer no longer owns."""
        stale = self._partitions(numbers & self._paused)
        if stale:  # a pause must not outlive the assignment it was made for
            with contextlib.suppress(KafkaException):
                self._consumer.resume(stale)
        self._paused -= numbers
        self._assigned -= numbers
        for partition in numbers:
            self._restarts.pop(partition, None)
        self._watch.reset()
        self._tracker.revoke(sorted(numbers))
        self._waiting = deque(t for t in self._waiting if t.state.partition not in numbers)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = {p.partition for p in partitions}
        self._store()
        # nothing stored, or the group is already gone: offsets then stay as last committed
        with contextlib.suppress(KafkaException):
            consumer.commit(asynchronous=False)
        self._forget(numbers)
        log.info("%s: revoked partitions %s", self.topic, sorted(numbers))

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = {p.partition for p in partitions}
        self._forget(numbers)
        log.warning("%s: lost partitions %s", self.topic, sorted(numbers))
