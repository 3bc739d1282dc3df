"""Start runs: each run, its steps, first jobs and events, many runs per transaction.

`Triggers.write` is what the trigger Batcher calls: one round of set-based statements for the
whole batch (the latest definition of each workflow, the Idempotency-Keys of the keyed requests,
the runs, their steps, the first jobs and events). A single trigger is a batch of one. Given its
`first_jobs` (the API's), it publishes the new jobs itself once they committed (runs.first_jobs);
otherwise, and for whatever it cannot publish (throttled jobs), a NOTIFY wakes the engine, which
publishes them from the outbox. `write_in`, inside a caller's transaction (schedules, topic
triggers), always leaves them to the engine.

A keyed request's key row (idempotency.record) is claimed in the same transaction as its run: a
request whose key is held already makes no run and is answered from the row (its run, or 422).
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
import psycopg
from uuid_utils.compat import uuid7

from legato import metrics
from legato.definitions import Definition
from legato.definitions.registry import DefinitionRegistry, Stored, UnknownWorkflow
from legato.faults import is_outage
from legato.idempotency import record
from legato.kafka.clients import HANDOVER_MS
from legato.runs.bulk import cancel_batch
from legato.runs.first_jobs import FirstJobs
from legato.store import definitions_sql, engine_sql, runs_sql
from legato.store.rows import fetch_all
from legato.workflow import concurrency, starts
from legato.workflow.children import step_rows
from legato.workflow.model import Event, Plan, RunRef
from legato.workflow.settle import settle
from legato.workflow.transitions import Planner

log = logging.getLogger(__name__)


class RunAlreadyExists(Exception):
    """The run id was already used (an idempotent trigger that raced itself)."""


class InvalidTrigger(Exception):
    """This request's run could not be stored (a value the database refused): its caller gets a 4xx."""


def run_exists(exc: BaseException) -> bool:
    """Whether `exc` says a run id of the batch exists already (then the batch is undone, and its
    runs written one by one)."""
    return isinstance(exc, psycopg.errors.UniqueViolation) and exc.diag.constraint_name == runs_sql.RUNS_KEY


@dataclass(frozen=True, slots=True)
class TriggerRequest:
    workflow_id: str
    input_value: object
    run_id: UUID = field(default_factory=uuid7)
    idempotency_key: str | None = None
    correlation_id: str | None = None
    fingerprint: str = ""  # of the request body, with idempotency_key
    trace_context: str | None = None  # the trigger span's, when tracing is on (legato.tracing)
    schedule_id: str | None = None  # a schedule's run: the schedule ...
    scheduled_at: datetime | None = None  # ... and its fire time
    trigger_id: str | None = None  # a Kafka-topic trigger's run: the trigger ...
    ordering_key: str | None = None  # ... and the key that orders its runs (ordering perKey)
    origin: dict[str, object] | None = None  # more of where it came from, in its RUN_CREATED event
    priority: int | None = None  # 1 (highest) .. 5; None: the workflow's default


@dataclass(slots=True)
class Written:
    """What one group of trigger requests wrote: an outcome per request (see Triggers.write)."""

    results: list[object]
    new: list[TriggerRequest]
    plan: Plan | None

    def count(self) -> None:
        """Once committed: the runs started, and those that ended at once."""
        if self.plan is not None:
            metrics.runs_started(r.workflow_id for r in self.new)
            metrics.runs_settled(((r.workflow_id, r.status) for r in self.plan.runs), self.plan.started)


class Triggers:
    def __init__(
        self,
        registry: DefinitionRegistry,
        jobs_prefix: str,
        idempotency_ttl_seconds: int,
        first_jobs: FirstJobs | None = None,
    ) -> None:
        self.registry = registry
        self.jobs_prefix = jobs_prefix
        self.key_ttl = idempotency_ttl_seconds
        self.first_jobs = first_jobs

    def write(self, conn: psycopg.Connection[Any], requests: Sequence[TriggerRequest]) -> list[object]:
        """One outcome per request: its run id, a record.Replayed (its key's run existed), or the
        exception its caller gets (record.KeyReused, record.KeyBusy, UnknownWorkflow, ...).

        A group commit that fails for any reason but an outage is written again one request at a
        time, so only the request at fault gets an error; nothing else in its group fails."""
        try:
            with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                cur.execute(engine_sql.GENERIC_PLANS_HERE)
                written = self.write_in(cur, requests, publishing=self.first_jobs is not None)
        except Exception as exc:
            if run_exists(exc):
                if len(requests) == 1:
                    return [RunAlreadyExists(str(requests[0].run_id))]
                return [self.write(conn, [r])[0] for r in requests]
            if is_outage(exc):
                raise
            if len(requests) == 1:
                log.warning("trigger of %s refused: %r", requests[0].workflow_id, exc)
                return [InvalidTrigger(f"the run could not be stored: {type(exc).__name__}: {exc}")]
            metrics.TRIGGERS_ISOLATED.inc()
            return [self.write(conn, [r])[0] for r in requests]
        if self.first_jobs is not None and written.plan is not None:
            self.first_jobs.publish(written.plan.jobs)
        written.count()
        return written.results

    def write_in(
        self, cur: psycopg.Cursor[Any], requests: Sequence[TriggerRequest], publishing: bool = False
    ) -> Written:
        """`write` inside the caller's transaction (a schedule's fire, a topic's records): a run id
        that exists already fails that transaction (`run_exists`); the caller calls `count` once it
        has committed. For an unkeyed request, one round trip before the commit's: the latest
        definitions. `publishing`: the caller publishes the plan's immediate jobs once committed
        (they are its own for the hand-over grace); otherwise the engine is woken to."""
        latest = self._latest(cur, {r.workflow_id for r in requests})
        valid = [r for r in requests if r.workflow_id in latest]
        answered = self._claim(cur, valid)
        new = [r for n, r in enumerate(valid) if answered[n] is None]
        plan = self._write(cur, new, latest, publishing) if new else None
        outcomes = iter(answered)
        results: list[object] = []
        for r in requests:
            if r.workflow_id not in latest:
                results.append(UnknownWorkflow(r.workflow_id))
            elif (answer := next(outcomes)) is not None:
                results.append(answer)
            else:
                results.append(r.run_id)
        return Written(results, new, plan)

    def _claim(self, cur: psycopg.Cursor[Any], requests: list[TriggerRequest]) -> list[record.Outcome]:
        """The keys of the keyed requests: None for a request that makes its run."""
        keyed = [n for n, r in enumerate(requests) if r.idempotency_key is not None]
        answered: list[record.Outcome] = [None] * len(requests)
        if not keyed:
            return answered
        claims = [
            record.Claim(r.workflow_id, r.idempotency_key or "", r.fingerprint, r.run_id)
            for r in (requests[n] for n in keyed)
        ]
        for n, outcome in zip(keyed, record.claim(cur, claims, self.key_ttl), strict=True):
            answered[n] = outcome
        return answered

    def _latest(self, cur: psycopg.Cursor[Any], workflow_ids: set[str]) -> dict[str, Stored]:
        rows = fetch_all(
            cur, definitions_sql.DefinitionRow, runs_sql.LATEST_DEFINITIONS, (list(workflow_ids),)
        )
        return {r.workflow_id: Stored.of(r) for r in rows}

    def _write(
        self,
        cur: psycopg.Cursor[Any],
        requests: list[TriggerRequest],
        latest: dict[str, Stored],
        publishing: bool,
    ) -> Plan:
        grace_ms = HANDOVER_MS if publishing else 0  # 0: the relay's at once
        planner = Planner(self.jobs_prefix, int(time.time() * 1000), grace_ms)
        definitions = {r.run_id: self.registry.parsed(latest[r.workflow_id]) for r in requests}
        keys: dict[UUID, str | None] = {}
        keyed: list[concurrency.Keyed] = []
        for r in requests:
            policy = definitions[r.run_id].concurrency
            keys[r.run_id] = None if policy is None else concurrency.render_key(policy, r.input_value)
            if policy is not None and (key := keys[r.run_id]) is not None:
                keyed.append(concurrency.Keyed(r.run_id, r.workflow_id, key, policy))
        decided = concurrency.decide(cur, keyed)
        runs: list[tuple[Any, ...]] = []
        steps: list[tuple[Any, ...]] = []
        statuses: dict[UUID, str] = {}  # written just now: whether they are paused is known
        for r in requests:
            stored, definition = latest[r.workflow_id], definitions[r.run_id]
            run = RunRef(r.run_id, r.workflow_id, stored.version, r.correlation_id, r.trace_context)
            created: dict[str, object] = {"version": stored.version, **(r.origin or {})}
            status, error = "RUNNING", None
            if keys[r.run_id] is not None:
                created["concurrencyKey"] = keys[r.run_id]
            if r.run_id in decided.pending:
                status = "PENDING"
            elif r.run_id in decided.cancelled:
                status, error = "CANCELLED", _over_limit(definition, keys[r.run_id])
            statuses[r.run_id] = status
            planner.plan.events.append(Event(r.run_id, "RUN_CREATED", data=orjson.dumps(created).decode()))
            if status == "RUNNING":
                starts.start_run(planner, run, definition, r.input_value)
            elif status == "CANCELLED":
                planner.plan.events.append(Event(r.run_id, "RUN_CANCELLED", data=error))
            runs.append(
                (
                    r.run_id,
                    r.workflow_id,
                    stored.version,
                    orjson.dumps(r.input_value).decode(),
                    r.idempotency_key,
                    r.correlation_id,
                    len(definition.sinks),
                    r.trace_context,
                    r.schedule_id,
                    r.scheduled_at,
                    r.trigger_id,
                    r.ordering_key,
                    status,
                    error,
                    r.priority or definition.priority,
                    keys[r.run_id],
                )
            )
            steps += step_rows(r.run_id, definition)
        cur.execute(runs_sql.INSERT_RUNS, [list(col) for col in zip(*runs, strict=True)])
        cur.execute(runs_sql.INSERT_STEPS, [list(col) for col in zip(*steps, strict=True)])
        if decided.displaced:
            cancel_batch(cur, decided.displaced, {"reason": "ConcurrencyLimit", "onLimit": "cancelOldest"})
        plan = settle(cur, planner.plan, self.registry.get, self.jobs_prefix, grace_ms, statuses=statuses)
        if not publishing or any(not j.immediate for j in plan.jobs):
            cur.execute(engine_sql.NOTIFY_JOBS)  # delivered at commit
        return plan


def _over_limit(definition: Definition, key: str | None) -> str:
    """The error of a run cancelled on arrival (cancelNewest): its key was at its limit."""
    assert definition.concurrency is not None
    return orjson.dumps(
        {
            "type": "ConcurrencyLimit",
            "message": f"concurrency key {key!r} already had {definition.concurrency.limit} open run(s) "
            "(onLimit: cancelNewest)",
        }
    ).decode()
