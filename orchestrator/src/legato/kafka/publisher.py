"""Publish jobs to their action topics and remember which ones Kafka acknowledged."""

import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from legato import metrics, tracing
from legato.engine.model import NewJob
from legato_worker.protocol import Job, encode_job

log = logging.getLogger(__name__)

Ack = tuple[UUID, int, int]  # job id, partition, offset
Refusal = tuple[UUID, str, str]  # job id, error type, why Kafka will never take it

# Errors that say "this record can never be written", whatever the retries: the job's attempt
# fails (non-retryable) and goes down the dead-letter path instead of being re-published forever.
TOO_LARGE = frozenset(
    {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_MSG_SIZE}
)
PERMANENT = TOO_LARGE | {KafkaError.INVALID_MSG, KafkaError.INVALID_RECORD, KafkaError._INVALID_ARG}


def _log_ids(key: bytes, span: Any) -> str:
    """For a log line about a job: its run (the record's key) and its trace, if it has a span."""
    if span is None:
        return tracing.log_ids(key.decode())
    from legato.tracing import spans

    return tracing.log_ids(key.decode(), spans.traceparent(span))


class JobPublisher:
    """Thread-safe: the API and the engine publish; the engine drains acknowledgements.

    A job that Kafka does not acknowledge stays PENDING in the outbox and is published again by
    the scheduler once its ownership grace has passed; nothing is lost. A job Kafka refuses for
    good (too large, invalid) is reported by `take_refused` so the engine fails its attempt.
    """

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self._acked: deque[Ack] = deque()
        self._refused: deque[Refusal] = deque()
        # Jobs handed to the producer and not yet recorded as acknowledged: the scheduler's lease
        # can hand one of them back (e.g. a slow delivery); it is not produced a second time.
        self._in_flight: set[UUID] = set()

    def publish(self, jobs: Iterable[NewJob]) -> int:
        now = int(time.time() * 1000)
        count = 0
        span: Any = None
        headers: list[tuple[str, str | bytes | None]] | None = None
        for j in jobs:
            if j.job_id in self._in_flight:
                continue
            if tracing.ENABLED:  # a PRODUCER span, ended when Kafka answers; its context travels
                from legato.tracing import spans

                span, headers = spans.send(j)
            job: Job = {
                "jobId": str(j.job_id),
                "runId": str(j.run_id),
                "stepId": j.step_id,
                "attempt": j.attempt,
                "action": j.action,
                "payload": j.payload,
                "workflowId": j.workflow_id,
                "workflowVersion": j.version,
                "queue": j.topic,
                "traceparent": None if span is None else spans.traceparent(span),
                "correlationId": j.correlation_id,
                "createdAt": now,
                # v2: the start-by time, by the database's clock (jobs.start_by); the orchestrator's
                # own deadline adds a grace to it.
                "deadlineAt": j.start_by_ms,
                "startToCloseMs": j.timeout_ms,
                "heartbeatTimeoutMs": j.heartbeat_ms,
                "lastHeartbeatDetails": j.details,
            }
            self._in_flight.add(j.job_id)
            self._produce(j.topic, job["runId"].encode(), encode_job(job), j.job_id, span, headers)
            count += 1
        return count

    def _produce(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        job_id: UUID,
        span: Any = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None:
        def delivered(err: KafkaError | None, msg: Message) -> None:
            if span is not None:
                from legato.tracing import spans

                spans.delivered(span, err, msg)
            if err is None:
                self._acked.append((job_id, msg.partition() or 0, msg.offset() or 0))
            elif err.code() in PERMANENT:
                self._refuse(job_id, err, _log_ids(key, span))
            else:
                self._in_flight.discard(job_id)  # the scheduler publishes it again
                metrics.JOBS_UNACKNOWLEDGED.inc()
                log.warning("job %s not acknowledged by Kafka (%s): %s", job_id, _log_ids(key, span), err)

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
                if span is not None:
                    from legato.tracing import spans

                    spans.delivered(span, err, None)
                self._refuse(job_id, err, _log_ids(key, span))
                return

    def _refuse(self, job_id: UUID, err: KafkaError, ids: str) -> None:
        self._in_flight.discard(job_id)
        metrics.JOBS_REFUSED.inc()
        log.error("job %s refused by Kafka for good (%s): %s", job_id, ids, err)
        error_type = "PayloadTooLarge" if err.code() in TOO_LARGE else "PublishRefused"
        self._refused.append((job_id, error_type, f"Kafka refused the job: {err.str()}"))

    def take_refused(self) -> list[Refusal]:
        out: list[Refusal] = []
        while self._refused:
            out.append(self._refused.popleft())
        return out

    def poll(self, timeout: float = 0) -> None:
        self.producer.poll(timeout)

    def take_acked(self) -> list[Ack]:
        out: list[Ack] = []
        while self._acked:
            out.append(self._acked.popleft())
        self._in_flight.difference_update(a[0] for a in out)
        return out

    def give_back(self, acks: list[Ack]) -> None:
        """Acknowledgements whose recording failed; recorded again with the next batch."""
        self._acked.extendleft(reversed(acks))
        self._in_flight.update(a[0] for a in acks)
