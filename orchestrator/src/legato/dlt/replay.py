"""Replay a dead letter (a `dead_letters` row) into its run.

`replay` owns the record: it locks the run, then the row, refuses what cannot be replayed, calls
`reopen` and marks the row replayed (`replayed_at`, `replay_job_id`), all in one transaction. So
replaying a record twice, from two terminals at once or long after the Kafka DLT topic dropped it,
dispatches the step once: the second answers "already replayed". `reopen` owns the run: what a
replay does to the run, its steps and items (the one function to swap for retry-from-failure).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
import psycopg

from legato.auth import actor
from legato.definitions import Definition
from legato.definitions.parse import parse_definition
from legato.store import dlt_sql
from legato.store.dlt_sql import DeadLetterDetailRow
from legato.store.rows import fetch_one
from legato.workflow.model import RunRef
from legato.workflow.resume import requeue_item, resume


class ReplayError(Exception):
    """This dead letter cannot be replayed; the message says why."""


class ReplayOutcome(Enum):
    REPLAYED = "replayed"
    ALREADY_REPLAYED = "already replayed"
    WOULD_REPLAY = "would replay (dry run)"


@dataclass(frozen=True, slots=True)
class Replayed:
    outcome: ReplayOutcome
    record: DeadLetterDetailRow
    new_job_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Target:
    """What `reopen` is asked to do: run the dead job's step (or map item) again with `payload`."""

    record: DeadLetterDetailRow
    run_status: str
    payload: str  # the JSON text the new attempt gets
    payload_edited: bool


class _DryRun(Exception):
    def __init__(self, result: Replayed) -> None:
        self.result = result


def replay(
    conn: psycopg.Connection[Any],
    jobs_prefix: str,
    job_id: uuid.UUID,
    payload: str | None = None,
    dry_run: bool = False,
) -> Replayed:
    """Replay the dead letter of `job_id` with `payload` (checked JSON text, `null` included) as
    the step's input, or None: the dead job's own. A dry run does everything, then rolls it back."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            return _replay(cur, jobs_prefix, job_id, payload, dry_run)
    except _DryRun as done:
        return done.result


def _replay(
    cur: psycopg.Cursor[Any], jobs_prefix: str, job_id: uuid.UUID, payload: str | None, dry_run: bool
) -> Replayed:
    found = fetch_one(cur, dlt_sql.DeadRunRow, dlt_sql.RUN_OF, (job_id,))
    if found is None:
        raise ReplayError(f"{job_id}: no such dead letter")
    # The run first: the lock order of every operation.
    run = fetch_one(cur, dlt_sql.ReplayedRunRow, dlt_sql.LOCK_RUN, (found.run_id,))
    record = fetch_one(cur, DeadLetterDetailRow, dlt_sql.LOCK, (job_id,))
    if record is None:
        raise ReplayError(f"{job_id}: no such dead letter (deleted meanwhile)")
    if record.replayed_at is not None:
        return Replayed(ReplayOutcome.ALREADY_REPLAYED, record, record.replay_job_id)
    if run is None:
        raise ReplayError(f"{record.id}: run {record.run_id} no longer exists (deleted)")
    newer = fetch_one(
        cur,
        dlt_sql.DeadJobRow,
        dlt_sql.NEWER,
        (record.run_id, record.step_id, record.item_index, record.job_id, record.dead_at),
    )
    if newer is not None:
        raise ReplayError(
            f"{record.id}: {record.where} of run {record.run_id} was dead-lettered again later; "
            f"replay the newer dead letter {newer.job_id} instead"
        )
    if payload is None and record.payload is None:
        raise ReplayError(
            f"{record.id}: its payload was not kept (Kafka refused the job as too large); "
            "replay it with --payload JSON"
        )
    text = record.payload if payload is None else payload
    assert text is not None
    new_job = reopen(cur, jobs_prefix, Target(record, run.status, text, payload is not None))
    cur.execute(dlt_sql.MARK_REPLAYED, (new_job, record.job_id))
    if cur.rowcount != 1:  # cannot happen while the row is locked; never dispatch twice
        raise RuntimeError(f"{record.id}: marked replayed by someone else while locked")
    cur.execute(dlt_sql.MARK_RESUMED, (record.run_id, record.job_id))
    if dry_run:
        raise _DryRun(Replayed(ReplayOutcome.WOULD_REPLAY, record, None))
    return Replayed(ReplayOutcome.REPLAYED, record, new_job)


def _event(
    cur: psycopg.Cursor[Any], run_id: uuid.UUID, kind: str, step: str | None, data: dict[str, Any]
) -> None:
    by = actor.current.get()
    if by:
        data = {**data, "by": by}
    cur.execute(dlt_sql.INSERT_EVENT, (run_id, kind, step, 1 if step else None, orjson.dumps(data).decode()))


def reopen(cur: psycopg.Cursor[Any], jobs_prefix: str, target: Target) -> uuid.UUID | None:
    """Retry-from-failure with the dead step's (or item's) payload: a FAILED run resumes
    everything its failure stopped (the dead step, cancelled siblings, map items at maxParallel,
    steps never started), each as a new generation; in a map still running (`onItemFailure:
    continue`) the dead item runs again. Returns the new attempt's job id (None when it waits for a
    map slot). Runs inside `replay`'s transaction with the run and the record locked; raises
    ReplayError (rolling everything back) with what to do when the run cannot take it."""
    record = target.record
    run_id, step_id, item = record.run_id, record.step_id, record.item_index
    where = f"step {step_id}" if item is None else f"item {item} of step {step_id}"
    if target.run_status == "CANCELLED":
        raise ReplayError(
            f"{record.id}: run {run_id} was cancelled; it cannot be re-opened (trigger a new run)"
        )
    found = fetch_one(cur, dlt_sql.RunRefRow, dlt_sql.RUN_REF, (run_id,))
    assert found is not None  # locked by `replay`
    run = RunRef(run_id, found.workflow_id, found.version, found.correlation_id)
    lookup = _definitions(cur)
    edited = target.payload if target.payload_edited else None
    if target.run_status == "FAILED":
        resume(
            cur,
            lookup,
            jobs_prefix,
            run,
            "RUN_REPLAYED",
            {"dltRecord": record.id, "deadJobId": str(record.job_id)},
            overrides={step_id: edited} if edited is not None and item is None else None,
            item_overrides={(step_id, item): edited} if edited is not None and item is not None else None,
        )
    elif target.run_status in ("RUNNING", "PAUSED") and item is not None:
        if not requeue_item(cur, lookup, jobs_prefix, run, step_id, item, edited):
            raise ReplayError(
                f"{record.id}: {where} of run {run_id} is not dead-lettered any more "
                "(resumed by a retry or an earlier replay); nothing to replay"
            )
    elif target.run_status in ("RUNNING", "PAUSED"):
        raise ReplayError(
            f"{record.id}: run {run_id} is running again (resumed by a retry or an earlier replay); "
            "nothing to replay"
        )
    else:
        raise ReplayError(
            f"{record.id}: run {run_id} is {target.run_status} (it went on without {where}); "
            "nothing is left to resume: trigger a new run"
        )
    attempt = fetch_one(cur, dlt_sql.NewAttemptRow, dlt_sql.NEW_ATTEMPT, (run_id, step_id, item))
    new_job = attempt.job_id if attempt else None
    _event(
        cur,
        run_id,
        "STEP_REPLAYED",
        step_id,
        {
            "dltRecord": record.id,
            "deadJobId": str(record.job_id),
            "jobId": None if new_job is None else str(new_job),
            "payloadEdited": target.payload_edited,
            **({} if item is None else {"item": item}),
        },
    )
    return new_job


def _definitions(cur: psycopg.Cursor[Any]) -> Callable[[str, int], Definition]:
    cache: dict[tuple[str, int], Definition] = {}

    def lookup(workflow_id: str, version: int) -> Definition:
        key = (workflow_id, version)
        if key not in cache:
            body = fetch_one(cur, dlt_sql.DefinitionBodyRow, dlt_sql.DEFINITION, key)
            if body is None:
                raise ReplayError(f"workflow {workflow_id} version {version} is not defined any more")
            cache[key] = parse_definition(body.definition)
        return cache[key]

    return lookup
