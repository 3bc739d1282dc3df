"""Replay a selection of dead letters one by one: each in its own transaction, each reported,
and one that cannot be replayed never stops the others."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from legato.dlt.replay import Replayed, ReplayError, replay
from legato.store import dlt_sql
from legato.store.rows import fetch_all


@dataclass(frozen=True, slots=True)
class Outcome:
    job_id: uuid.UUID
    result: Replayed | None  # None: failed
    error: str | None = None


def select_run(conn: psycopg.Connection[Any], run_id: uuid.UUID) -> list[uuid.UUID]:
    return [r.job_id for r in fetch_all(conn, dlt_sql.DeadJobRow, dlt_sql.BY_RUN, (run_id,))]


def replay_each(
    conn: psycopg.Connection[Any],
    jobs_prefix: str,
    ids: list[uuid.UUID],
    payload: str | None,
    dry_run: bool,
    rate: float,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    """Replay every id in order, at most `rate` per second. A record that fails (a refusal, or a
    statement the database rejects) is reported and skipped; losing the database stops the
    loop (every later record would fail the same way) by raising."""
    outcomes = []
    interval = 1 / rate
    for n, job_id in enumerate(ids):
        if n:
            time.sleep(interval)  # the rate limit itself, not a wait for a condition
        try:
            outcome = Outcome(job_id, replay(conn, jobs_prefix, job_id, payload, dry_run))
        except ReplayError as exc:
            outcome = Outcome(job_id, None, str(exc))
        except psycopg.Error as exc:
            if conn.closed or conn.broken:
                raise
            outcome = Outcome(job_id, None, f"{job_id}: {type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        report(outcome)
    return outcomes
