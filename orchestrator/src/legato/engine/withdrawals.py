"""Publish withdrawn attempts (the job_withdrawals outbox) as Cancel records on the control topic.

Every worker reads the control topic: a withdrawn attempt that is still queued is skipped by the
worker that reads it, a running one's handler is signalled. Rows are deleted only once Kafka has
acknowledged their records, so a crash publishes some twice (workers ignore duplicates) and none
is lost.
"""

from confluent_kafka import Producer
from psycopg_pool import ConnectionPool

from legato.kafka.confirmed import Record, produce_confirmed
from legato.store import attempts_sql
from legato.store.attempts_sql import WithdrawalRow
from legato.store.rows import fetch_all
from legato_protocol import Cancel, encode_cancel

BATCH = 1000


def publish_withdrawals(pool: ConnectionPool, producer: Producer, control_topic: str) -> int:
    """Publish what the outbox holds, a batch at a time; returns how many were published."""
    total = 0
    while True:
        with pool.connection() as conn:
            rows = fetch_all(conn, WithdrawalRow, attempts_sql.TAKE_WITHDRAWALS, (BATCH,))
        if not rows:
            return total
        records = []
        for r in rows:
            cancel: Cancel = {
                "jobId": str(r.job_id),
                "runId": str(r.run_id),
                "stepId": r.step_id,
                "attempt": r.attempt,
                "action": r.action,
                "reason": r.reason,
                "message": r.message,
                "at": r.created_ms,
            }
            records.append(Record(control_topic, str(r.job_id).encode(), encode_cancel(cancel), []))
        produce_confirmed(producer, records)
        with pool.connection() as conn:
            conn.execute(attempts_sql.DELETE_WITHDRAWALS, ([r.job_id for r in rows],))
        total += len(rows)
        if len(rows) < BATCH:
            return total
