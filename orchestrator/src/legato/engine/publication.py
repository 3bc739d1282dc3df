"""What the engine does after a transaction has committed, in this order (docs/architecture.md):

1. the DLT records of the jobs it dead-lettered are produced and acknowledged by Kafka (their own
   deliveries only), then marked published in their `dead_letters` rows;
2. its observers are told what it decided;
3. the new jobs it made are handed to Kafka (the publisher's acknowledgements are applied with the
   next batch).

The results' offsets are committed only after all of this (engine.loop). A crash or an outage in
between loses nothing: the dead-letter rows and the jobs outbox keep what was not confirmed, and
housekeeping publishes it once its grace has passed.
"""

from uuid import UUID

from confluent_kafka import Producer
from psycopg_pool import ConnectionPool

from legato.engine.observer import EngineObserver
from legato.kafka.confirmed import Record, produce_confirmed
from legato.kafka.publisher import JobPublisher
from legato.store import dlt_sql
from legato.workflow.model import Plan
from legato.workflow.outbox import outgoing
from legato_protocol import headers


class Publication:
    def __init__(
        self, pool: ConnectionPool, producer: Producer, publisher: JobPublisher, observer: EngineObserver
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._publisher = publisher
        self._observer = observer

    def after_commit(self, plan: Plan, dead_letters: list[Record], results: int) -> None:
        if dead_letters:
            self.dead_letters(dead_letters)
        self._observer.committed(results, plan.runs, plan.started)
        immediate = [j for j in plan.jobs if j.immediate]
        if immediate:
            self._observer.jobs_published(self._publisher.publish(outgoing(immediate)))

    def dead_letters(self, records: list[Record]) -> None:
        """Produce `records` (workflow-jobs.DLT), wait for Kafka's acknowledgement, mark them published."""
        produce_confirmed(self._producer, records)
        with self._pool.connection() as conn:
            conn.execute(dlt_sql.RECORDS_PUBLISHED, ([_job_id(r) for r in records],))
        self._observer.dead_lettered("job", len(records))


def _job_id(record: Record) -> UUID:
    """The job a DLT record is for (its legato-job-id header)."""
    for name, value in record.headers:
        if name == headers.JOB_ID and value is not None:
            return UUID(value.decode() if isinstance(value, bytes) else value)
    raise ValueError(f"a DLT record without its {headers.JOB_ID} header")
