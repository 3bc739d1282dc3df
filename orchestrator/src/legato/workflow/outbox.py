"""The jobs outbox: jobs written with the transitions that made them, published from here.

A job is written to `jobs` in the transaction that decides it. The engine publishes the ones it
made itself right after commit; everything else (retries once their delay is over, jobs the API and
operations wrote, jobs whose publication was lost in a crash) is leased from here by the engine's
housekeeping. The publisher takes wire jobs: `outgoing` is where a job row becomes its record.
"""

import time
from collections.abc import Iterable
from typing import Any

import psycopg

from legato.kafka.clients import HANDOVER_MS
from legato.kafka.publisher import Outgoing
from legato.store import engine_sql
from legato.store.engine_sql import DueJobRow
from legato.store.rows import typed_cursor
from legato.workflow.model import NewJob

BATCH = 500

Connection = psycopg.Connection[Any]


def lease_due_jobs(conn: Connection) -> list[NewJob]:
    """Jobs to publish now, leased in a transaction of one round trip (`conn` is in pipeline mode:
    BEGIN, the lease and COMMIT travel together, its rows are read once it committed). Leased jobs
    of runs that ended are closed instead, in a second transaction (rare: their lease keeps them
    from being leased again meanwhile, and a crash in between only leases them again later)."""
    with typed_cursor(conn, DueJobRow) as cur:
        with conn.transaction():
            cur.execute(engine_sql.LEASE_DUE_JOBS, (BATCH, HANDOVER_MS))
        rows = cur.fetchall()
    dead = [r.job_id for r in rows if r.status != "RUNNING"]
    if dead:
        with conn.transaction():
            conn.execute(engine_sql.CANCEL_JOBS, (dead,))
    return due_jobs(r for r in rows if r.status == "RUNNING")


def due_jobs(rows: Iterable[DueJobRow]) -> list[NewJob]:
    """Leased job rows, as the jobs to publish."""
    due: list[NewJob] = []
    for r in rows:
        due.append(
            NewJob(
                job_id=r.job_id,
                run_id=r.run_id,
                step_id=r.step_id,
                attempt=r.attempt,
                action=r.action,
                topic=r.topic,
                payload=r.payload,
                timeout_ms=r.timeout_ms,
                delay_ms=0,
                workflow_id=r.workflow_id,
                version=r.version,
                correlation_id=r.correlation_id,
                immediate=False,
                schedule_to_start_ms=r.schedule_to_start_ms,
                heartbeat_ms=r.heartbeat_ms,
                details=r.details,
                requeues=r.requeues,
                trace_context=r.trace_context,
                start_by_ms=r.start_by_ms,
            )
        )
    return due


def outgoing(jobs: Iterable[NewJob]) -> list[Outgoing]:
    """The wire records of `jobs` (protocol v2), stamped now, with their runs' trace contexts."""
    now = int(time.time() * 1000)
    return [
        Outgoing(
            j.job_id,
            {
                "jobId": str(j.job_id),
                "runId": str(j.run_id),
                "stepId": j.step_id,
                "attempt": j.attempt,
                "action": j.action,
                "payload": j.payload,
                "workflowId": j.workflow_id,
                "workflowVersion": j.version,
                "queue": j.topic,
                "traceparent": None,  # set by the tracer, from the job's send span
                "correlationId": j.correlation_id,
                "createdAt": now,
                # the start-by time, by the database's clock (jobs.start_by); the orchestrator's
                # own deadline adds a grace to it.
                "deadlineAt": j.start_by_ms,
                "startToCloseMs": j.timeout_ms,
                "heartbeatTimeoutMs": j.heartbeat_ms,
                "lastHeartbeatDetails": j.details,
            },
            j.trace_context,
        )
        for j in jobs
    ]
