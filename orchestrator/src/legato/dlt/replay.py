"""Replay a dead letter (a `dead_letters` row) into its run.

`replay` owns the record: it locks the run, then the row, refuses what cannot be replayed, calls
`reopen` and marks the row replayed (`replayed_at`, `replay_job_id`), all in one transaction. So
replaying a record twice, from two terminals at once or long after the Kafka DLT topic dropped it,
dispatches the step once: the second answers "already replayed". `reopen` owns the run: what a
replay does to the run, its steps and items (the one function to swap for retry-from-failure).
"""

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
import psycopg
from uuid_utils.compat import uuid7

from legato.dlt.records import DeadLetterRow, row
from legato.store import dlt_sql, engine_sql


class ReplayError(Exception):
    """This dead letter cannot be replayed; the message says why."""


class ReplayOutcome(Enum):
    REPLAYED = "replayed"
    ALREADY_REPLAYED = "already replayed"
    WOULD_REPLAY = "would replay (dry run)"


@dataclass(frozen=True, slots=True)
class Replayed:
    outcome: ReplayOutcome
    record: DeadLetterRow
    new_job_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Target:
    """What `reopen` is asked to do: run the dead job's step (or map item) again with `payload`."""

    record: DeadLetterRow
    run_status: str
    payload: str  # the JSON text the new attempt gets
    payload_edited: bool


class _DryRun(Exception):
    def __init__(self, result: Replayed) -> None:
        self.result = result


def replay(
    conn: psycopg.Connection[Any], job_id: uuid.UUID, payload: Any = None, dry_run: bool = False
) -> Replayed:
    """Replay the dead letter of `job_id`. A dry run does everything, then rolls it back."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            return _replay(cur, job_id, payload, dry_run)
    except _DryRun as done:
        return done.result


def _replay(cur: psycopg.Cursor[Any], job_id: uuid.UUID, payload: Any, dry_run: bool) -> Replayed:
    cur.execute(dlt_sql.RUN_OF, (job_id,))
    found = cur.fetchone()
    if found is None:
        raise ReplayError(f"{job_id}: no such dead letter")
    cur.execute(dlt_sql.LOCK_RUN, (found[0],))  # run first: the lock order of every operation
    run = cur.fetchone()
    cur.execute(dlt_sql.LOCK, (job_id,))
    locked = cur.fetchone()
    if locked is None:
        raise ReplayError(f"{job_id}: no such dead letter (deleted meanwhile)")
    record = row(locked)
    if record.replayed_at is not None:
        return Replayed(ReplayOutcome.ALREADY_REPLAYED, record, record.replay_job_id)
    if run is None:
        raise ReplayError(f"{record.id}: run {record.run_id} no longer exists (deleted)")
    cur.execute(
        dlt_sql.NEWER, (record.run_id, record.step_id, record.item_index, record.job_id, record.dead_at)
    )
    newer = cur.fetchone()
    if newer is not None:
        raise ReplayError(
            f"{record.id}: {record.where} of run {record.run_id} was dead-lettered again later; "
            f"replay the newer dead letter {newer[0]} instead"
        )
    if payload is None and record.payload is None:
        raise ReplayError(
            f"{record.id}: its payload was not kept (Kafka refused the job as too large); "
            "replay it with --payload JSON"
        )
    text = record.payload if payload is None else orjson.dumps(payload).decode()
    assert text is not None
    new_job = reopen(cur, Target(record, run[0], text, payload is not None))
    cur.execute(dlt_sql.MARK_REPLAYED, (new_job, record.job_id))
    if cur.rowcount != 1:  # cannot happen while the row is locked; never dispatch twice
        raise RuntimeError(f"{record.id}: marked replayed by someone else while locked")
    if dry_run:
        raise _DryRun(Replayed(ReplayOutcome.WOULD_REPLAY, record, None))
    return Replayed(ReplayOutcome.REPLAYED, record, new_job)


def _event(
    cur: psycopg.Cursor[Any], run_id: uuid.UUID, kind: str, step: str | None, data: dict[str, Any]
) -> None:
    cur.execute(dlt_sql.INSERT_EVENT, (run_id, kind, step, 1 if step else None, orjson.dumps(data).decode()))


def reopen(cur: psycopg.Cursor[Any], target: Target) -> uuid.UUID:
    """Re-open the run (FAILED back to RUNNING) and queue a fresh attempt of the dead step or
    item; return the new job's id. Runs inside `replay`'s transaction with the run and the
    record locked; raises ReplayError (rolling everything back) when the run cannot take it."""
    record = target.record
    run_id, step_id, item = record.run_id, record.step_id, record.item_index
    if target.run_status == "CANCELLED":
        raise ReplayError(f"{record.id}: run {run_id} was cancelled; it cannot be re-opened")
    cur.execute(dlt_sql.STEP_STATE, (run_id, step_id))
    step = cur.fetchone()
    if step is None:
        raise ReplayError(f"{record.id}: step {step_id} is not part of run {run_id}")
    if step[0] != "DEAD_LETTERED":
        raise ReplayError(f"{record.id}: step {step_id} is {step[0]}, not DEAD_LETTERED; nothing to replay")
    cur.execute(dlt_sql.LATEST_JOB, (run_id, step_id))
    latest = cur.fetchone()
    if latest is None:
        raise ReplayError(f"{record.id}: step {step_id} of run {run_id} has no attempt to start from")
    if target.run_status != "RUNNING":
        cur.execute(dlt_sql.REOPEN_RUN, (run_id,))
        _event(
            cur, run_id, "RUN_REOPENED", None, {"previousStatus": target.run_status, "dltRecord": record.id}
        )
    if item is None:
        cur.execute(dlt_sql.RESTART_STEP, (target.payload, run_id, step_id))
    else:
        cur.execute(dlt_sql.RESTART_ITEM, (run_id, step_id, item))
        cur.execute(dlt_sql.RESUME_STEP, (run_id, step_id))
    new_job = uuid7()
    cur.execute(
        dlt_sql.INSERT_JOB, (new_job, run_id, step_id, step[1], latest[1], target.payload, latest[3], item)
    )
    cur.execute(engine_sql.NOTIFY_JOBS)
    _event(
        cur,
        run_id,
        "STEP_REPLAYED",
        step_id,
        {
            "dltRecord": record.id,
            "deadJobId": str(record.job_id),
            "jobId": str(new_job),
            "payloadEdited": target.payload_edited,
        },
    )
    return new_job
