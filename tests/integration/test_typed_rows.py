"""Typed rows (store.rows): each row type names its statement's columns, in order.

psycopg's class_row builds a row by column name, so a renamed or unnamed column fails only when
the statement answers a row. Each statement here runs in a rolled-back transaction, with arguments
that match nothing, and its column names are compared with its row type's fields.
"""

import dataclasses
import uuid
from typing import Any

import psycopg
import pytest

from harness.orchestrator import Orchestrator
from legato.store import (
    attempts_sql,
    dlt_sql,
    engine_sql,
    join_sql,
    metrics_sql,
    operations_sql,
    retention_sql,
)

pytestmark = pytest.mark.integration

NOBODY = uuid.UUID(int=0)

STATEMENTS: list[tuple[str, type[Any], Any]] = [
    (engine_sql.CLAIM_RESULTS, engine_sql.ResultClaimRow, ([], [], [])),
    (engine_sql.LOCK_TIMED_OUT_RUNS, engine_sql.LockedRunRow, {"held_ms": 0, "lost": [], "limit": 0}),
    (
        engine_sql.CLAIM_TIMEOUTS,
        engine_sql.TimeoutClaimRow,
        {"held_ms": 0, "lost": [], "limit": 0, "runs": []},
    ),
    (engine_sql.ANY_DUE, engine_sql.AnyDueRow, None),
    (engine_sql.DUE_UNREPORTED, engine_sql.UnreportedRow, (0,)),
    (engine_sql.LEASE_DUE_JOBS, engine_sql.DueJobRow, (0, 0)),
    (engine_sql.INSERT_JOBS_RETURNING_START_BY, engine_sql.StartByRow, tuple([] for _ in range(14))),
    (engine_sql.FIRST_FAILURE_AT, engine_sql.FirstFailureRow, (NOBODY, "")),
    (attempts_sql.APPLY_PROGRESS, attempts_sql.ProgressRow, ([], [], [], [], [])),
    (attempts_sql.EXPIRE_SKIPPED, attempts_sql.SkippedRow, ([],)),
    (attempts_sql.REVIVE_LATE_STARTS, attempts_sql.RevivedRow, ([],)),
    (attempts_sql.TAKE_WITHDRAWALS, attempts_sql.WithdrawalRow, (0,)),
    (join_sql.DECREMENT_DEPS, join_sql.DependantRow, ([], [], [])),
    (join_sql.CLOSE_SINKS, join_sql.SinksRow, ([], [])),
    (join_sql.READ_STEPS, join_sql.StepRow, ([], [])),
    (join_sql.READ_INPUTS, join_sql.InputRow, ([],)),
    (join_sql.ITEMS_DONE, join_sql.MapCountRow, ([], [], [])),
    (join_sql.NEXT_ITEMS, join_sql.NextItemRow, ([], [], [])),
    (join_sql.LOCK_TIMER_RUNS, engine_sql.LockedRunRow, (0,)),
    (join_sql.FIRE_TIMERS, join_sql.TimerRow, ([],)),
    (operations_sql.STEP_STATES, operations_sql.StepStateRow, (NOBODY,)),
    (operations_sql.MAPPED_STEPS, operations_sql.MappedStepRow, (NOBODY,)),
    (operations_sql.REOPEN_ITEM_SLOT, operations_sql.ItemSlotRow, (NOBODY, "")),
    (operations_sql.STUCK_RUNS, operations_sql.StuckRunRow, (0, 0)),
    (operations_sql.RESUME_MAPS, operations_sql.ResumedMapRow, (NOBODY, [])),
    (dlt_sql.LEASE_PENDING_RECORDS, dlt_sql.PendingRecordRow, (0,)),
    (retention_sql.LOCK_EXPIRED_RUNS, retention_sql.ExpiredRunRow, (0, 0)),
    (metrics_sql.OUTBOX, metrics_sql.OutboxRow, {"grace": 0}),
]


@pytest.mark.parametrize(
    ("statement", "row", "params"), STATEMENTS, ids=[r.__name__ for _, r, _ in STATEMENTS]
)
def test_row_type_names_the_statements_columns(
    orchestrator: Orchestrator, statement: str, row: type[Any], params: Any
) -> None:
    with psycopg.connect(orchestrator.database_url) as conn, conn.transaction(force_rollback=True):
        cur = conn.execute(statement, params)
        assert cur.description is not None
        assert [c.name for c in cur.description] == [f.name for f in dataclasses.fields(row)]
