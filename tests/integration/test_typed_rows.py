"""Typed rows (store.rows): each row type names its statement's columns, in order.

psycopg's class_row builds a row by column name, so a renamed or unnamed column fails only when
the statement answers a row. Each statement here runs in a rolled-back transaction, with arguments
that match nothing, and its column names are compared with its row type's fields.
"""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from harness.orchestrator import Orchestrator
from legato.runs.filters import RunFilter, params
from legato.runs.listing import count_query, page_query, search_query
from legato.store import (
    attempts_sql,
    auth_sql,
    backlog_sql,
    bulk_sql,
    children_sql,
    concurrency_sql,
    dead_letter_list_sql,
    definitions_sql,
    dlt_sql,
    engine_sql,
    idempotency_sql,
    join_sql,
    limits_sql,
    metrics_sql,
    migrate,
    operations_sql,
    retention_sql,
    run_list_sql,
    runs_sql,
    schedules_sql,
    signals_sql,
    stats_sql,
    timeline_sql,
    triggers_sql,
    workers_sql,
)

pytestmark = pytest.mark.integration

NOBODY = uuid.UUID(int=0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNIQUE = f"typed-rows-{uuid.uuid4()}"  # what an INSERT (rolled back) writes: never taken

# The run list's statements are composed from its filters: one that matches no run.
NO_RUN = RunFilter(run_id=NOBODY)
NO_RUN_SEARCHED = RunFilter(run_id=NOBODY, q="nothing")
SEARCH_PARAMS = {"limit": 0, "scan_bytes": 0, "page": 0}
COUNT_PARAMS = {"cap": 0, "scan_rows": 0, "scan_bytes": 0}

_SCHEDULE = {
    "schedule_id": UNIQUE,
    "workflow_id": UNIQUE,
    "cron": None,
    "every": "1h",
    "timezone": "UTC",
    "start_at": None,
    "end_at": None,
    "input": "null",
    "overlap": "skip",
    "catchup_window_s": 60,
    "jitter_s": 0,
    "paused": False,
    "note": None,
    "next_fire_at": None,
    "due_at": None,
}

STATEMENTS: list[tuple[str | sql.Composed, type[Any], Any]] = [
    (engine_sql.CLAIM_RESULTS, engine_sql.ResultClaimRow, ([], [], [])),
    (engine_sql.LOCK_TIMED_OUT_RUNS, engine_sql.LockedRunRow, {"held_ms": 0, "lost": [], "limit": 0}),
    (
        engine_sql.CLAIM_TIMEOUTS,
        engine_sql.TimeoutClaimRow,
        {"held_ms": 0, "lost": [], "limit": 0, "runs": []},
    ),
    (engine_sql.DUE_WORK, engine_sql.DueWorkRow, None),
    (engine_sql.DUE_UNREPORTED, engine_sql.UnreportedRow, (0,)),
    (engine_sql.LEASE_DUE_JOBS, engine_sql.DueJobRow, (0, 0)),
    (engine_sql.INSERT_JOBS_RETURNING_START_BY, engine_sql.StartByRow, tuple([] for _ in range(15))),
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
    (join_sql.LOCK_TIMER_RUNS, engine_sql.LockedRunRow, {"limit": 0}),
    (join_sql.PAUSED_AMONG, join_sql.RunIdRow, ([],)),
    (join_sql.FIRE_TIMERS, join_sql.TimerRow, ([],)),
    (operations_sql.STEP_STATES, operations_sql.StepStateRow, (NOBODY,)),
    (operations_sql.MAPPED_STEPS, operations_sql.MappedStepRow, (NOBODY,)),
    (operations_sql.REOPEN_ITEM_SLOT, operations_sql.ItemSlotRow, (NOBODY, "")),
    (operations_sql.STUCK_RUNS, operations_sql.StuckRunRow, (0, 0)),
    (operations_sql.RESUME_MAPS, operations_sql.ResumedMapRow, (NOBODY, [])),
    (dlt_sql.LEASE_PENDING_RECORDS, dlt_sql.PendingRecordRow, (0,)),
    (retention_sql.LOCK_EXPIRED_RUNS, retention_sql.ExpiredRunRow, (0, 0)),
    (metrics_sql.OUTBOX, metrics_sql.OutboxRow, {"grace": 0}),
    (metrics_sql.WAITS, metrics_sql.WaitsRow, None),
    (metrics_sql.PENDING_RUNS, metrics_sql.PendingRunsRow, None),
    (limits_sql.LIMITED_ACTIONS, limits_sql.ActionRow, None),
    (limits_sql.LOCK_LIMITS, limits_sql.ActionRow, ([UNIQUE],)),
    (limits_sql.ADMIT, engine_sql.DueJobRow, {"action": UNIQUE, "batch": 0, "lease_ms": 0}),
    (limits_sql.DELETE_LIMIT, limits_sql.ActionRow, (UNIQUE,)),
    (limits_sql.GET_LIMITS, limits_sql.LimitRow, (None, None)),
    (backlog_sql.BACKLOG, backlog_sql.WaitingRow, None),
    (backlog_sql.DRAINED, backlog_sql.DrainedRow, (0,)),
    (backlog_sql.MAX_BACKLOGS, backlog_sql.MaxBacklogRow, None),
    (concurrency_sql.TRY_LOCK_KEYS, concurrency_sql.KeyRow, ([UNIQUE], [UNIQUE])),
    (concurrency_sql.OPEN_BY_KEY, concurrency_sql.OpenRow, ([UNIQUE], [UNIQUE])),
    (concurrency_sql.OLDEST_OPEN, concurrency_sql.RunIdRow, (UNIQUE, UNIQUE, 1)),
    (concurrency_sql.PENDING_KEYS, concurrency_sql.PendingKeyRow, (1,)),
    (
        concurrency_sql.RELEASE,
        concurrency_sql.ReleasedRow,
        {"workflows": [UNIQUE], "keys": [UNIQUE], "limits": [1], "batch": 1},
    ),
    # signals and children
    (signals_sql.LOCK_RUN, signals_sql.SignalRunRow, (NOBODY,)),
    (signals_sql.SIGNAL_BY_ID, signals_sql.SignalNameRow, (NOBODY, UNIQUE)),
    (signals_sql.INSERT_SIGNAL, signals_sql.SignalIdRow, (NOBODY, UNIQUE, UNIQUE, "null")),
    (signals_sql.CONSUME, signals_sql.ConsumedRow, {"runs": []}),
    (signals_sql.LOCK_DELIVERABLE_RUNS, join_sql.RunIdRow, (0,)),
    (signals_sql.DUE_TIMEOUTS, signals_sql.DueStepRow, ([],)),
    (signals_sql.LIST, signals_sql.SignalRow, {"run_id": NOBODY, "limit": 0, "bytes": 0}),
    (children_sql.RESOLVE_VERSIONS, children_sql.VersionRow, ([UNIQUE], [None])),
    (children_sql.PARENTS, children_sql.ParentRow, ([],)),
    (children_sql.HELD_STEPS, children_sql.HeldStepRow, (NOBODY,)),
    (children_sql.LOCK_PARENTS_OF_ENDED, join_sql.RunIdRow, (0,)),
    (children_sql.ENDED_CHILDREN, children_sql.EndedChildRow, ([],)),
    (children_sql.LOCK_ORPHANS, children_sql.OrphanRow, (0,)),
    (children_sql.DUE_RESTARTS, children_sql.RestartRow, ([],)),
    (operations_sql.LOCK_RUN, operations_sql.RunStateRow, (NOBODY,)),
    # auth
    (auth_sql.INSERT_KEY, auth_sql.CreatedKeyRow, (uuid.uuid4(), UNIQUE, "read", "lgt_test", UNIQUE)),
    (auth_sql.LIST_KEYS, auth_sql.KeyRow, None),
    (auth_sql.REVOKE_KEY, auth_sql.RevokedKeyRow, (UNIQUE, UNIQUE)),
    (auth_sql.FIND_KEY, auth_sql.ActiveKeyRow, (UNIQUE,)),
    (auth_sql.FIND_SESSION, auth_sql.SessionRow, (UNIQUE,)),
    # definitions
    (definitions_sql.LATEST, definitions_sql.LatestRow, (UNIQUE,)),
    (definitions_sql.INSERT, definitions_sql.InsertedRow, (UNIQUE, 1, "{}", UNIQUE)),
    (definitions_sql.GET_VERSION, definitions_sql.DefinitionRow, (UNIQUE, 1)),
    (definitions_sql.GET_LATEST, definitions_sql.DefinitionRow, (UNIQUE,)),
    (definitions_sql.LIST_LATEST, definitions_sql.DefinitionRow, None),
    (definitions_sql.ALL_ACTIONS, definitions_sql.ActionRow, None),
    # runs
    (runs_sql.LATEST_DEFINITIONS, definitions_sql.DefinitionRow, ([UNIQUE],)),
    (runs_sql.GET_RUN, runs_sql.RunRow, (NOBODY,)),
    (runs_sql.GET_STEPS, runs_sql.StepRow, (NOBODY,)),
    (runs_sql.GET_EVENTS, runs_sql.EventRow, (NOBODY, 0, 0)),
    (stats_sql.VERSIONS, stats_sql.VersionRow, (UNIQUE,)),
    (stats_sql.WORKFLOW_STATS, stats_sql.WorkflowStatsRow, {"window": 0}),
    (stats_sql.RUNS_PER_MINUTE, stats_sql.RunsMinuteRow, {"window": 0}),
    (stats_sql.STEPS_PER_MINUTE, stats_sql.StepsMinuteRow, {"window": 0}),
    (stats_sql.LATENCY, stats_sql.LatencyRow, {"window": 0, "sample": 0}),
    (page_query(NO_RUN, None, False), run_list_sql.ListedRunRow, {**params(NO_RUN, None), "limit": 0}),
    (
        page_query(NO_RUN, (EPOCH, NOBODY), False),
        run_list_sql.ListedRunRow,
        {**params(NO_RUN, (EPOCH, NOBODY)), "limit": 0},
    ),
    (
        page_query(RunFilter(statuses=("FAILED",), run_id=NOBODY), None, False),
        run_list_sql.ListedRunRow,
        {**params(RunFilter(statuses=("FAILED",), run_id=NOBODY), None), "limit": 0},
    ),
    (
        search_query(NO_RUN_SEARCHED, None),
        run_list_sql.SearchedRunRow,
        {**params(NO_RUN_SEARCHED, None), **SEARCH_PARAMS},
    ),
    (count_query(NO_RUN), run_list_sql.StatusCountRow, {**params(NO_RUN, None), **COUNT_PARAMS}),
    (
        count_query(NO_RUN_SEARCHED),
        run_list_sql.SearchCountRow,
        {**params(NO_RUN_SEARCHED, None), **COUNT_PARAMS},
    ),
    (run_list_sql.BY_IDS, run_list_sql.RunStatusRow, ([],)),
    (bulk_sql.LOCK_RUNS, bulk_sql.BatchRunRow, ([], [])),
    (bulk_sql.WORKFLOWS_OF_RUNS, bulk_sql.WorkflowRunsRow, ([],)),
    (bulk_sql.CANCEL_STEPS, bulk_sql.CancelledStepRow, ([],)),
    (bulk_sql.WITHDRAW_JOBS, bulk_sql.WithdrawnJobsRow, ([],)),
    (timeline_sql.ATTEMPTS, timeline_sql.AttemptRow, (NOBODY, 0)),
    (timeline_sql.ATTEMPTS_AFTER, timeline_sql.AttemptRow, (NOBODY, EPOCH, NOBODY, 0)),
    (timeline_sql.WAITS, timeline_sql.WaitRow, (NOBODY,)),
    # dead letters
    (dlt_sql.GET, dlt_sql.DeadLetterDetailRow, (NOBODY,)),
    (dlt_sql.LOCK, dlt_sql.DeadLetterDetailRow, (NOBODY,)),
    (
        sql.SQL(dead_letter_list_sql.PAGE).format(where=sql.SQL(dead_letter_list_sql.CONDITIONS["run_id"])),
        dlt_sql.DeadLetterRow,
        {"run_id": NOBODY, "limit": 0},
    ),
    (dlt_sql.BY_RUN, dlt_sql.DeadJobRow, (NOBODY,)),
    (dlt_sql.NEWER, dlt_sql.DeadJobRow, (NOBODY, "", None, NOBODY, EPOCH)),
    (dlt_sql.RUN_OF, dlt_sql.DeadRunRow, (NOBODY,)),
    (dlt_sql.LOCK_RUN, dlt_sql.ReplayedRunRow, (NOBODY,)),
    (dlt_sql.RUN_REF, dlt_sql.RunRefRow, (NOBODY,)),
    (dlt_sql.DEFINITION, dlt_sql.DefinitionBodyRow, (UNIQUE, 1)),
    (dlt_sql.NEW_ATTEMPT, dlt_sql.NewAttemptRow, (NOBODY, "", None)),
    # idempotency keys, workers, the schema's revision
    (idempotency_sql.CLAIM, idempotency_sql.ClaimedRow, (0, [], [], [], [])),
    (idempotency_sql.HOLDERS, idempotency_sql.HolderRow, ([], [])),
    (workers_sql.QUEUED_BY_ACTION, workers_sql.QueuedRow, None),
    (migrate.CURRENT_REVISION, migrate.RevisionRow, None),
    (definitions_sql.WORKFLOW_DEFINED, definitions_sql.DefinedRow, (UNIQUE,)),
    # schedules
    (schedules_sql.LIST, schedules_sql.ScheduleRow, None),
    (schedules_sql.GET, schedules_sql.ScheduleRow, (UNIQUE,)),
    (schedules_sql.LOCK, schedules_sql.ScheduleRow, (UNIQUE,)),
    (schedules_sql.LOCK_DUE, schedules_sql.ScheduleRow, ([],)),
    (schedules_sql.INSERT, schedules_sql.ScheduleRow, _SCHEDULE),
    (schedules_sql.REPLACE, schedules_sql.ScheduleRow, _SCHEDULE),
    (schedules_sql.SET_PAUSED, schedules_sql.ScheduleRow, (True, None, None, None, UNIQUE)),
    (schedules_sql.OPEN_RUNS, schedules_sql.OpenRunRow, (UNIQUE,)),
    (schedules_sql.CLAIM_FIRES, schedules_sql.ClaimedFireRow, (UNIQUE, [], [])),
    (schedules_sql.BUFFERED, schedules_sql.BufferedFireRow, (UNIQUE,)),
    (schedules_sql.RECENT_FIRES, schedules_sql.FireRow, (UNIQUE, 1)),
    (schedules_sql.LAST_FIRES, schedules_sql.LastFireRow, ([UNIQUE],)),
    (schedules_sql.BUFFERED_COUNTS, schedules_sql.BufferedCountRow, ([UNIQUE],)),
    (schedules_sql.DATABASE_NOW, schedules_sql.NowRow, None),
    # Kafka-topic triggers
    (triggers_sql.LIST, triggers_sql.TriggerRow, None),
    (triggers_sql.GET, triggers_sql.TriggerRow, (UNIQUE,)),
    (
        triggers_sql.INSERT,
        triggers_sql.TriggerRow,
        (UNIQUE, UNIQUE, UNIQUE, False, "null", None, "none", False),
    ),
    (triggers_sql.SET_PAUSED, triggers_sql.TriggerRow, (True, UNIQUE)),
    (triggers_sql.ACTIVE, triggers_sql.ActiveRow, None),
    (triggers_sql.OFFSETS, triggers_sql.OffsetRow, (UNIQUE, [])),
    (triggers_sql.ADVANCE_OFFSETS, triggers_sql.PartitionRow, ([], [], [], UNIQUE)),
    (triggers_sql.FIRST_OFFSETS, triggers_sql.PartitionRow, (UNIQUE, [], [])),
    (triggers_sql.COUNT, triggers_sql.TriggerIdRow, (0, 0, 0, UNIQUE)),
    (triggers_sql.PARTITIONS, triggers_sql.TriggerPartitionRow, None),
    (triggers_sql.STATE, triggers_sql.StateRow, ([UNIQUE],)),
    (triggers_sql.LAGS, triggers_sql.LagRow, None),
    (triggers_sql.BUSY_KEYS, triggers_sql.KeyRow, {"trigger": UNIQUE, "keys": []}),
    (triggers_sql.STARTABLE, triggers_sql.QueueKeyRow, (0,)),
    (triggers_sql.TAKE_HEADS, triggers_sql.QueuedRow, ([], [])),
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
