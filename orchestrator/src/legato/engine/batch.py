"""Apply one consumed batch of results (and Kafka acknowledgements) in one transaction."""

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from legato import metrics
from legato.definitions import Definition
from legato.engine.admit import admit
from legato.engine.model import Claimed, Plan
from legato.engine.progress import elapsed_ms
from legato.engine.transitions import Planner
from legato.kafka.publisher import Ack
from legato.payloads import JsonLimits
from legato.store import engine_sql
from legato_worker.protocol import Progress, Result

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


def lock_runs(cur: Cursor, acks: list[Ack], results: list[Result], progress: list[Progress]) -> None:
    """Lock the runs this batch touches, in run id order, before any step, item or job row."""
    ids = [a[0] for a in acks]
    for r in [*results, *progress]:
        try:
            ids.append(uuid.UUID(r["jobId"]))
        except ValueError:
            continue
    if ids:
        cur.execute(engine_sql.LOCK_RUNS_OF_JOBS, (ids,))


def mark_dispatched(cur: Cursor, acks: list[Ack], unreported_timeout_ms: int) -> None:
    """Jobs Kafka acknowledged are queued; one without scheduleToStartSeconds gets the backstop
    deadline (`unreported_timeout_ms`; 0: none)."""
    if acks:
        backstop = unreported_timeout_ms or None
        cur.execute(
            engine_sql.MARK_DISPATCHED,
            (backstop, backstop, [a[0] for a in acks], [a[1] for a in acks], [a[2] for a in acks]),
        )


def claim_results(
    cur: Cursor,
    results: list[Result],
    limits: JsonLimits,
    outcomes: metrics.Outcomes | None = None,
    max_requeues: int = 0,
) -> list[Claimed]:
    """Win the attempts these results are for; record the results that lost.

    Each result is admitted first (engine.admit): what cannot be stored fails its attempt instead.
    `outcomes` gets each won attempt's queue and execution time (the statement's last two columns).
    An attempt its worker released at shutdown (failure type WorkerShutdown) is queued again without
    using an attempt, `max_requeues` times at most."""
    first: dict[uuid.UUID, Result] = {}
    for r in results:
        try:
            job_id = uuid.UUID(r["jobId"])
        except ValueError:
            continue  # not one of ours; nothing to apply
        if job_id not in first:
            first[job_id] = admit(r, limits)
    if not first:
        return []
    ids = list(first)
    cur.execute(
        engine_sql.CLAIM_RESULTS, (ids, [first[i]["status"] for i in ids], [_ran_ms(first[i]) for i in ids])
    )
    claimed: list[Claimed] = []
    queued, ran = ([], []) if outcomes is None else (outcomes.queue, outcomes.execution)
    for row in cur.fetchall():
        r = first.pop(row[0])
        c = claimed_from_row(row, r["status"])
        if row[-2] is not None:  # None: its dispatch (or start) is not recorded
            queued.append((c.action, row[-2]))
        if row[-1] is not None:
            ran.append((c.action, row[-1]))
        c.item_index = row[11]
        c.details = row[12]
        c.requeues = row[13]
        c.trace_context = row[14]
        c.output = r["output"]
        c.failure = dict(r["failure"]) if r["failure"] else None
        if c.status == "FAILED" and c.failure is None:
            c.failure = {"type": "Error", "message": "worker reported failure without details"}
        elif c.status == "FAILED" and c.failure is not None and c.failure.get("type") == WORKER_SHUTDOWN:
            c.requeue = c.requeues < max_requeues
        claimed.append(c)
    if first:
        cur.execute(engine_sql.RECORD_IGNORED, (list(first), [first[i]["status"] for i in first]))
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
