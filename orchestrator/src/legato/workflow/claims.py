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


def claimed_from_row(row: Sequence[Any], status: str) -> Claimed:
    return Claimed(
        job_id=row[0],
        run_id=row[1],
        step_id=row[2],
        attempt=row[3],
        action=row[4],
        payload=row[5],
        workflow_id=row[6],
        version=row[7],
        correlation_id=row[8],
        status=status,
        partition=row[9],
        offset=row[10],
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
    """Jobs Kafka acknowledged are queued; one without scheduleToStartSeconds gets the backstop
    deadline (`unreported_timeout_ms`; 0: none)."""
    if acks:
        backstop = unreported_timeout_ms or None
        cur.execute(
            engine_sql.MARK_DISPATCHED,
            (
                backstop,
                backstop,
                [a.job_id for a in acks],
                [a.partition for a in acks],
                [a.offset for a in acks],
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
    attempt's queue and execution time (the statement's last two columns). An attempt its worker
    released at shutdown (failure type WorkerShutdown) is queued again without using an attempt,
    `max_requeues` times at most."""
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
    cur.execute(engine_sql.CLAIM_RESULTS, (ids, statuses, ran_ms))
    claimed: list[Claimed] = []
    queued, ran = ([], []) if outcomes is None else (outcomes.queue, outcomes.execution)
    for row in cur.fetchall():
        won: Result | None = first.pop(row[0], None)
        c = claimed_from_row(row, "FAILED" if won is None else won["status"])
        if row[-2] is not None:  # None: its dispatch (or start) is not recorded
            queued.append((c.action, row[-2]))
        if row[-1] is not None:
            ran.append((c.action, row[-1]))
        c.item_index = row[11]
        c.details = row[12]
        c.requeues = row[13]
        c.trace_context = row[14]
        if won is None:
            f = failed.pop(row[0])
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
