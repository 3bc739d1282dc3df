"""What a batch of results, and of Kafka's answers about jobs, does to attempts: claims and plans.

Inside the engine's batch transaction: the runs are locked, acknowledged jobs marked DISPATCHED,
the attempts the results (and the jobs Kafka refused) are for are claimed (the first valid outcome
per attempt wins), and each claimed outcome is planned (workflow.transitions).
"""

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from legato.definitions import Definition
from legato.kafka.publisher import Acked, Refused
from legato.payloads import JsonLimits
from legato.store import engine_sql
from legato.store.engine_sql import ResultClaimRow, TimeoutClaimRow
from legato.store.rows import fetch_all
from legato.workflow.admit import admit
from legato.workflow.model import Claimed, Plan
from legato.workflow.outcomes import Outcomes
from legato.workflow.progress import elapsed_ms
from legato.workflow.transitions import Planner
from legato_protocol import Progress, Result

Cursor = psycopg.Cursor[tuple[Any, ...]]

# The failure type of a result a worker sends for an attempt it released when it shut down
# (docs/protocol.md): no execution attempt is used.
WORKER_SHUTDOWN = "WorkerShutdown"


def claimed_from_row(row: ResultClaimRow | TimeoutClaimRow, status: str) -> Claimed:
    """The claimed attempt of a row CLAIM_RESULTS or CLAIM_TIMEOUTS answered."""
    return Claimed(
        job_id=row.job_id,
        run_id=row.run_id,
        step_id=row.step_id,
        attempt=row.attempt,
        action=row.action,
        payload=row.payload,
        workflow_id=row.workflow_id,
        version=row.version,
        correlation_id=row.correlation_id,
        status=status,
        partition=row.kafka_partition,
        offset=row.kafka_offset,
        item_index=row.item_index,
        details=row.details,
        requeues=row.requeues,
        trace_context=row.trace_context,
        run_status=row.status,
    )


def lock_runs(
    cur: Cursor,
    acks: list[Acked],
    results: list[Result],
    progress: list[Progress],
    refused: Sequence[Refused] = (),
) -> None:
    """Lock the runs this batch touches, in run id order, before any step, item or job row."""
    ids = [a.job_id for a in acks]
    ids += [f.job_id for f in refused]
    for r in [*results, *progress]:
        try:
            ids.append(uuid.UUID(r["jobId"]))
        except ValueError:
            continue
    if ids:
        cur.execute(engine_sql.LOCK_RUNS_OF_JOBS, (ids,))


def mark_dispatched(cur: Cursor, acks: list[Acked], unreported_timeout_ms: int) -> None:
    """Jobs Kafka acknowledged are queued, as of when Kafka said so (an acknowledgement may wait
    for the next batch); one without scheduleToStartSeconds gets the backstop deadline
    (`unreported_timeout_ms`; 0: none)."""
    if acks:
        backstop = unreported_timeout_ms or None
        now = time.monotonic()
        cur.execute(
            engine_sql.MARK_DISPATCHED,
            (
                backstop,
                backstop,
                [a.job_id for a in acks],
                [a.partition for a in acks],
                [a.offset for a in acks],
                [max(0, int((now - a.at) * 1000)) for a in acks],
            ),
        )


def claim_results(
    cur: Cursor,
    results: list[Result],
    limits: JsonLimits,
    outcomes: Outcomes | None = None,
    max_requeues: int = 0,
    refused: Sequence[Refused] = (),
) -> list[Claimed]:
    """Win the attempts these results (and the jobs Kafka `refused`) are for; record the results
    that lost.

    Each result is admitted first (workflow.admit): what cannot be stored fails its attempt instead.
    A refused job fails its attempt like a non-retryable handler error. `outcomes` gets each won
    attempt's queue and execution time. An attempt its worker released at shutdown (failure type
    WorkerShutdown) is queued again without using an attempt, `max_requeues` times at most."""
    first: dict[uuid.UUID, Result] = {}
    for r in results:
        try:
            job_id = uuid.UUID(r["jobId"])
        except ValueError:
            continue  # not one of ours; nothing to apply
        if job_id not in first:
            first[job_id] = admit(r, limits)
    failed = {f.job_id: f for f in refused if f.job_id not in first}
    if not first and not failed:
        return []
    ids = [*first, *failed]
    statuses = [*(first[i]["status"] for i in first), *("FAILED" for _ in failed)]
    ran_ms = [*(_ran_ms(first[i]) for i in first), *(None for _ in failed)]
    rows = fetch_all(cur, ResultClaimRow, engine_sql.CLAIM_RESULTS, (ids, statuses, ran_ms))
    claimed: list[Claimed] = []
    queued, ran = ([], []) if outcomes is None else (outcomes.queue, outcomes.execution)
    for row in rows:
        won: Result | None = first.pop(row.job_id, None)
        c = claimed_from_row(row, "FAILED" if won is None else won["status"])
        if row.queue_s is not None:
            queued.append((c.action, row.queue_s))
        if row.execution_s is not None:
            ran.append((c.action, row.execution_s))
        if won is None:
            f = failed.pop(row.job_id)
            c.failure = {"type": f.error_type, "message": f.message, "nonRetryable": True}
        else:
            c.output = won["output"]
            c.failure = dict(won["failure"]) if won["failure"] else None
        if c.status == "FAILED" and c.failure is None:
            c.failure = {"type": "Error", "message": "worker reported failure without details"}
        elif c.status == "FAILED" and c.failure is not None and c.failure.get("type") == WORKER_SHUTDOWN:
            c.requeue = c.requeues < max_requeues
        claimed.append(c)
    if first or failed:
        lost = [*first, *failed]
        cur.execute(
            engine_sql.RECORD_IGNORED,
            (lost, [*(first[i]["status"] for i in first), *("FAILED" for _ in failed)]),
        )
    return claimed


def _ran_ms(result: Result) -> int | None:
    """How long the handler ran, by the worker's clock (None when the result does not say)."""
    started, finished = result.get("startedAt") or 0, result.get("finishedAt") or 0
    return elapsed_ms(started, finished) if started > 0 and finished >= started else None


def plan_outcomes(claimed: list[Claimed], lookup: Callable[[str, int], Definition], jobs_prefix: str) -> Plan:
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    for c in claimed:
        planner.outcome(c, lookup(c.workflow_id, c.version))
    return planner.plan
