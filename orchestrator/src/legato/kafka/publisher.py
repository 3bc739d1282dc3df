"""Publish jobs to their action topics and remember which ones Kafka acknowledged."""

import logging
import time
from collections import deque
from collections.abc import Iterable
from uuid import UUID

from confluent_kafka import KafkaError, Message, Producer

from legato import metrics
from legato.engine.model import NewJob
from legato_worker.protocol import Job, encode_job

log = logging.getLogger(__name__)

Ack = tuple[UUID, int, int]  # job id, partition, offset


class JobPublisher:
    """Thread-safe: the API and the engine publish; the engine drains acknowledgements.

    A job that Kafka does not acknowledge stays PENDING in the outbox and is published again by
    the scheduler once its ownership grace has passed; nothing is lost.
    """

    def __init__(self, producer: Producer) -> None:
        self.producer = producer
        self._acked: deque[Ack] = deque()

    def publish(self, jobs: Iterable[NewJob]) -> int:
        now = int(time.time() * 1000)
        count = 0
        for j in jobs:
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
                "traceparent": None,
                "correlationId": j.correlation_id,
                "createdAt": now,
                "deadlineAt": now + j.timeout_ms,
            }
            self._produce(j.topic, job["runId"].encode(), encode_job(job), j.job_id)
            count += 1
        return count

    def _produce(self, topic: str, key: bytes, value: bytes, job_id: UUID) -> None:
        def delivered(err: KafkaError | None, msg: Message) -> None:
            if err is None:
                self._acked.append((job_id, msg.partition() or 0, msg.offset() or 0))
            else:
                metrics.JOBS_UNACKNOWLEDGED.inc()
                log.warning("job %s not acknowledged by Kafka: %s", job_id, err)

        while True:
            try:
                self.producer.produce(topic, value=value, key=key, on_delivery=delivered)
                return
            except BufferError:
                self.producer.poll(0.05)

    def poll(self, timeout: float = 0) -> None:
        self.producer.poll(timeout)

    def take_acked(self) -> list[Ack]:
        out: list[Ack] = []
        while self._acked:
            out.append(self._acked.popleft())
        return out

    def give_back(self, acks: list[Ack]) -> None:
        """Acknowledgements whose recording failed; recorded again with the next batch."""
        self._acked.extendleft(reversed(acks))
