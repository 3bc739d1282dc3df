"""Start runs: each run, its steps, first jobs and events, many runs per transaction.

`Triggers.write` is what the trigger Batcher calls: one round of set-based statements for the
whole batch (the latest definition of each workflow, the Idempotency-Keys of the keyed requests,
the runs, their steps, the first jobs and events) and a NOTIFY that wakes the engine, which
publishes the new jobs from the outbox. A single trigger is a batch of one. The API never talks to
Kafka on this path.

A keyed request's key row (idempotency.record) is claimed in the same transaction as its run: a
request whose key is held already makes no run and is answered from the row (its run, or 422).
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
import psycopg
from uuid_utils.compat import uuid7

from legato import metrics
from legato.definitions.registry import DefinitionRegistry, Stored, UnknownWorkflow
from legato.faults import is_outage
from legato.idempotency import record
from legato.store import definitions_sql, engine_sql, runs_sql
from legato.store.rows import fetch_all
from legato.workflow import starts
from legato.workflow.children import step_rows
from legato.workflow.model import Event, Plan, RunRef
from legato.workflow.settle import settle
from legato.workflow.transitions import Planner

log = logging.getLogger(__name__)


class RunAlreadyExists(Exception):
    """The run id was already used (an idempotent trigger that raced itself)."""


class InvalidTrigger(Exception):
    """This request's run could not be stored (a value the database refused): its caller gets a 4xx."""


class _Conflict(Exception):
    """A run id of the batch exists already: undo the batch and write its runs one by one."""


@dataclass(frozen=True, slots=True)
class TriggerRequest:
    workflow_id: str
    input_value: object
    run_id: UUID = field(default_factory=uuid7)
    idempotency_key: str | None = None
    correlation_id: str | None = None
    fingerprint: str = ""  # of the request body, with idempotency_key
    trace_context: str | None = None  # the trigger span's, when tracing is on (legato.tracing)


class Triggers:
    def __init__(self, registry: DefinitionRegistry, jobs_prefix: str, idempotency_ttl_seconds: int) -> None:
        self.registry = registry
        self.jobs_prefix = jobs_prefix
        self.key_ttl = idempotency_ttl_seconds

    def write(self, conn: psycopg.Connection[Any], requests: Sequence[TriggerRequest]) -> list[object]:
        """One outcome per request: its run id, a record.Replayed (its key's run existed), or the
        exception its caller gets (record.KeyReused, record.KeyBusy, UnknownWorkflow, ...).

        A group commit that fails for any reason but an outage is written again one request at a
        time, so only the request at fault gets an error; nothing else in its group fails."""
        try:
            with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                latest = self._latest(cur, {r.workflow_id for r in requests})
                valid = [r for r in requests if r.workflow_id in latest]
                answered = self._claim(cur, valid)
                new = [r for n, r in enumerate(valid) if answered[n] is None]
                plan = self._write(cur, new, latest) if new else None
        except _Conflict:
            if len(requests) == 1:
                return [RunAlreadyExists(str(requests[0].run_id))]
            return [self.write(conn, [r])[0] for r in requests]
        except Exception as exc:
            if is_outage(exc):
                raise
            if len(requests) == 1:
                log.warning("trigger of %s refused: %r", requests[0].workflow_id, exc)
                return [InvalidTrigger(f"the run could not be stored: {type(exc).__name__}: {exc}")]
            metrics.TRIGGERS_ISOLATED.inc()
            return [self.write(conn, [r])[0] for r in requests]
        if plan is not None:
            metrics.runs_started(r.workflow_id for r in new)
            metrics.runs_settled(((r.workflow_id, r.status) for r in plan.runs), plan.started)
        outcomes = iter(answered)
        results: list[object] = []
        for r in requests:
            if r.workflow_id not in latest:
                results.append(UnknownWorkflow(r.workflow_id))
            elif (answer := next(outcomes)) is not None:
                results.append(answer)
            else:
                results.append(r.run_id)
        return results

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
        self, cur: psycopg.Cursor[Any], requests: list[TriggerRequest], latest: dict[str, Stored]
    ) -> Plan:
        planner = Planner(self.jobs_prefix, int(time.time() * 1000), grace_ms=0)  # the relay's at once
        runs: list[tuple[Any, ...]] = []
        steps: list[tuple[Any, ...]] = []
        for r in requests:
            stored = latest[r.workflow_id]
            definition = self.registry.parsed(stored)
            run = RunRef(r.run_id, r.workflow_id, stored.version, r.correlation_id, r.trace_context)
            planner.plan.events.append(
                Event(r.run_id, "RUN_CREATED", data=orjson.dumps({"version": stored.version}).decode())
            )
            ctx = starts.context(r.input_value, {})
            for root in definition.roots:
                starts.start(planner, run, definition.by_id[root], ctx)
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
                )
            )
            steps += step_rows(r.run_id, definition)
        cur.execute(runs_sql.INSERT_RUNS, [list(col) for col in zip(*runs, strict=True)])
        if len(cur.fetchall()) != len(runs):
            raise _Conflict
        cur.execute(runs_sql.INSERT_STEPS, [list(col) for col in zip(*steps, strict=True)])
        cur.execute(engine_sql.NOTIFY_JOBS)
        return settle(cur, planner.plan, self.registry.get, self.jobs_prefix, grace_ms=0)
