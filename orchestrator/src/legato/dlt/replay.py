"""Replay a dead job into its run: re-open the run, restart the step, queue a fresh attempt.

Everything happens in one transaction keyed by the dead job's id, so replaying the same dead
letter twice (or two copies of it) never runs the step twice. The new attempt is written to the
job outbox and wakes the engine, which publishes it.
"""

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
import psycopg
from uuid_utils.compat import uuid7

from legato.dlt.reader import DeadLetterRecord
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
    run_id: uuid.UUID
    step_id: str
    new_job_id: uuid.UUID | None


def _event(
    cur: psycopg.Cursor[Any], run_id: uuid.UUID, kind: str, step: str | None, data: dict[str, Any]
) -> None:
    cur.execute(dlt_sql.INSERT_EVENT, (run_id, kind, step, 1 if step else None, orjson.dumps(data).decode()))


def replay(
    conn: psycopg.Connection[Any], record: DeadLetterRecord, payload: Any = None, dry_run: bool = False
) -> Replayed:
    job = record.job
    if job is None:
        raise ReplayError(f"{record.id}: undecodable record ({record.decode_error}); see `legato dlt show`")
    run_id, step_id, dead_job = uuid.UUID(job["runId"]), job["stepId"], uuid.UUID(job["jobId"])
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(dlt_sql.LOCK_RUN, (run_id,))  # serialises replays of one run
        run = cur.fetchone()
        if run is None:
            raise ReplayError(f"{record.id}: run {run_id} no longer exists (deleted)")
        cur.execute(dlt_sql.REPLAYED, (dead_job,))
        if cur.fetchone() is not None:
            return Replayed(ReplayOutcome.ALREADY_REPLAYED, run_id, step_id, None)
        if run[0] == "CANCELLED":
            raise ReplayError(f"{record.id}: run {run_id} was cancelled; it cannot be re-opened")
        cur.execute(dlt_sql.STEP_STATE, (run_id, step_id))
        step = cur.fetchone()
        if step is None:
            raise ReplayError(f"{record.id}: step {step_id} is not part of run {run_id}")
        if step[0] != "DEAD_LETTERED":
            raise ReplayError(
                f"{record.id}: step {step_id} is {step[0]}, not DEAD_LETTERED; nothing to replay"
            )
        cur.execute(dlt_sql.LATEST_JOB, (run_id, step_id))
        latest = cur.fetchone()
        assert latest is not None
        text = job["payload"] if payload is None else orjson.dumps(payload).decode()
        if dry_run:
            return Replayed(ReplayOutcome.WOULD_REPLAY, run_id, step_id, None)
        new_job = uuid7()
        cur.execute(
            dlt_sql.RECORD_REPLAY, (dead_job, record.id, run_id, step_id, new_job, payload is not None)
        )
        if cur.rowcount == 0:  # a concurrent replay of the same dead job won
            return Replayed(ReplayOutcome.ALREADY_REPLAYED, run_id, step_id, None)
        if run[0] != "RUNNING":
            cur.execute(dlt_sql.REOPEN_RUN, (run_id,))
            _event(cur, run_id, "RUN_REOPENED", None, {"previousStatus": run[0], "dltRecord": record.id})
        cur.execute(dlt_sql.JOB_ITEM, (dead_job,))
        found = cur.fetchone()
        item = found[0] if found else None
        if item is None:
            cur.execute(dlt_sql.RESTART_STEP, (text, run_id, step_id))
        else:
            cur.execute(dlt_sql.RESTART_ITEM, (run_id, step_id, item))
            cur.execute(dlt_sql.RESUME_STEP, (run_id, step_id))
        cur.execute(dlt_sql.INSERT_JOB, (new_job, run_id, step_id, step[1], latest[1], text, latest[3], item))
        cur.execute(engine_sql.NOTIFY_JOBS)
        _event(
            cur,
            run_id,
            "STEP_REPLAYED",
            step_id,
            {
                "dltRecord": record.id,
                "deadJobId": str(dead_job),
                "jobId": str(new_job),
                "payloadEdited": payload is not None,
            },
        )
    return Replayed(ReplayOutcome.REPLAYED, run_id, step_id, new_job)
