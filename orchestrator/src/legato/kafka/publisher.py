"""Publish wire jobs to their action topics and remember what Kafka answered.

The publisher knows the protocol's `Job`, not the state machine's models: the caller hands it each
job already in its wire form (workflow.outbox), with the job id and its run's stored trace context.
What Kafka answers comes back as facts of their own (`Acked`, `Refused`), which the engine applies
with its next batch.
"""

import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from legato import tracing
from legato_protocol import Job, encode_job

log = logging.getLogger(__name__)

Headers = list[tuple[str, str | bytes | None]]


class Outgoing(NamedTuple):
    """A job to send: its id, its wire record and its run's stored trace context (or None)."""

    job_id: UUID
    job: Job
    trace_context: str | None


class Acked(NamedTuple):
    """Kafka took a job: where its record is, and when we heard (time.monotonic()). The engine
    marks the job DISPATCHED, as of then."""

    job_id: UUID
    partition: int
    offset: int
    at: float


class Refused(NamedTuple):
    """Kafka will never take this job (too large, invalid): its attempt fails, non-retryable."""

    job_id: UUID
    error_type: str
    message: str


class SendTracer(Protocol):
    """Traces sends (only when tracing is on): a span per job, its context in the record."""

    def sending(self, job: Job, trace_context: str | None) -> tuple[Any, Headers]:
        """Before a job is produced: a span for `delivered`, and the headers that carry it."""
        ...

    def delivered(self, span: Any, err: KafkaError | None, msg: Message | None) -> None: ...

    def traceparent(self, span: Any) -> str: ...


class SendCounter(Protocol):
    """Counts the sends Kafka did not take."""

    def unacknowledged(self) -> None: ...

    def refused(self) -> None: ...


# Errors that say "this record can never be written", whatever the retries: the job's attempt
# fails (non-retryable) and goes down the dead-letter path instead of being re-published forever.
TOO_LARGE = frozenset(
    {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_MSG_SIZE}
)
PERMANENT = TOO_LARGE | {KafkaError.INVALID_MSG, KafkaError.INVALID_RECORD, KafkaError._INVALID_ARG}


class JobPublisher:
    """Thread-safe: the API and the engine publish; the engine drains acknowledgements.

    A job that Kafka does not acknowledge stays PENDING in the outbox and is published again by
    the scheduler once its ownership grace has passed; nothing is lost. A job Kafka refuses for
    good (too large, invalid) is reported by `take_refused` so the engine fails its attempt.

    `counter` counts unacknowledged and refused jobs; `tracer` (only when tracing is on) opens each
    job's send span before it is produced, and ends it when Kafka answered.
    """

    def __init__(
        self, producer: Producer, counter: SendCounter | None = None, tracer: SendTracer | None = None
    ) -> None:
        self.producer = producer
        self._counter = counter
        self._tracer = tracer
        self._acked: deque[Acked] = deque()
        self._refused: deque[Refused] = deque()
        # Jobs handed to the producer and not yet recorded as acknowledged: the scheduler's lease
        # can hand one of them back (e.g. a slow delivery); it is not produced a second time.
        self._in_flight: set[UUID] = set()

    def publish(self, jobs: Iterable[Outgoing]) -> int:
        count = 0
        token: Any = None
        headers: Headers | None = None
        tracer = self._tracer
        for job_id, job, trace_context in jobs:
            if job_id in self._in_flight:
                continue
            if tracer is not None:  # a PRODUCER span, ended when Kafka answers; its context travels
                token, headers = tracer.sending(job, trace_context)
                job["traceparent"] = tracer.traceparent(token)
            self._in_flight.add(job_id)
            self._produce(job["queue"], job["runId"].encode(), encode_job(job), job_id, token, headers)
            count += 1
        return count

    def _produce(
        self, topic: str, key: bytes, value: bytes, job_id: UUID, token: Any, headers: Headers | None
    ) -> None:
        tracer = self._tracer

        def delivered(err: KafkaError | None, msg: Message) -> None:
            if tracer is not None:
                tracer.delivered(token, err, msg)
            if err is None:
                self._acked.append(Acked(job_id, msg.partition() or 0, msg.offset() or 0, time.monotonic()))
            elif err.code() in PERMANENT:
                self._refuse(job_id, err, key, token)
            else:
                self._in_flight.discard(job_id)  # the scheduler publishes it again
                if self._counter is not None:
                    self._counter.unacknowledged()
                log.warning(
                    "job %s not acknowledged by Kafka (%s): %s", job_id, self._log_ids(key, token), err
                )

        while True:
            try:
                self.producer.produce(topic, value=value, key=key, on_delivery=delivered, headers=headers)
                return
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as exc:
                err = exc.args[0]
                if not isinstance(err, KafkaError) or err.code() not in PERMANENT:
                    raise
                if tracer is not None:
                    tracer.delivered(token, err, None)
                self._refuse(job_id, err, key, token)
                return

    def _log_ids(self, key: bytes, span: Any) -> str:
        """For a log line about a job: its run (the record's key) and its trace, if it has a span."""
        if span is None or self._tracer is None:
            return tracing.log_ids(key.decode())
        return tracing.log_ids(key.decode(), self._tracer.traceparent(span))

    def _refuse(self, job_id: UUID, err: KafkaError, key: bytes, token: Any) -> None:
        self._in_flight.discard(job_id)
        if self._counter is not None:
            self._counter.refused()
        log.error("job %s refused by Kafka for good (%s): %s", job_id, self._log_ids(key, token), err)
        error_type = "PayloadTooLarge" if err.code() in TOO_LARGE else "PublishRefused"
        self._refused.append(Refused(job_id, error_type, f"Kafka refused the job: {err.str()}"))

    def take_refused(self) -> list[Refused]:
        out: list[Refused] = []
        while self._refused:
            out.append(self._refused.popleft())
        return out

    def poll(self, timeout: float = 0) -> None:
        self.producer.poll(timeout)

    def take_acked(self) -> list[Acked]:
        out: list[Acked] = []
        while self._acked:
            out.append(self._acked.popleft())
        self._in_flight.difference_update(a.job_id for a in out)
        return out

    def give_back(self, acks: list[Acked]) -> None:
        """Acknowledgements whose recording failed; recorded again with the next batch."""
        self._acked.extendleft(reversed(acks))
        self._in_flight.update(a.job_id for a in acks)
