"""Publish the DLT records their engines did not confirm (the dead-letter outbox).

An engine publishes the records of the jobs it dead-letters right after its transaction commits
(engine.publication). One that crashed, or met an outage, before Kafka acknowledged them leaves
them in their `dead_letters` rows; once their grace has passed, any engine leases them here,
publishes them and marks them published. A crash publishes some twice; none is lost.
"""

from confluent_kafka import Producer
from psycopg_pool import ConnectionPool

from legato.kafka.confirmed import Record, produce_confirmed
from legato.store import dlt_sql
from legato.store.dlt_sql import PendingRecordRow
from legato.store.rows import fetch_all

BATCH = 100


def publish_pending(pool: ConnectionPool, producer: Producer, dlt_topic: str) -> int:
    """Publish what is due, a batch at a time; returns how many records were published."""
    total = 0
    while True:
        with pool.connection() as conn, conn.transaction():
            rows = fetch_all(conn, PendingRecordRow, dlt_sql.LEASE_PENDING_RECORDS, (BATCH,))
        if not rows:
            return total
        records = [
            Record(
                dlt_topic,
                str(r.run_id).encode(),
                r.record,
                [(k, str(v).encode()) for k, v in (r.headers or {}).items()],
            )
            for r in rows
        ]
        produce_confirmed(producer, records)
        with pool.connection() as conn:
            conn.execute(dlt_sql.RECORDS_PUBLISHED, ([r.job_id for r in rows],))
        total += len(rows)
        if len(rows) < BATCH:
            return total
