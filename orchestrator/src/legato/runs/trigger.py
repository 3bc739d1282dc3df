"""Start a run: the run, its steps, the first jobs and events in one transaction, then publish."""

import time
import uuid
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.definitions.registry import DefinitionRegistry
from legato.engine import starts
from legato.engine.model import Event, RunRef
from legato.engine.settle import settle
from legato.engine.transitions import Planner
from legato.kafka.publisher import JobPublisher
from legato.store import runs_sql


class RunAlreadyExists(Exception):
    """The run id was already used (an idempotent trigger that raced itself)."""


def trigger(
    pool: ConnectionPool,
    registry: DefinitionRegistry,
    publisher: JobPublisher,
    jobs_prefix: str,
    workflow_id: str,
    input_value: object,
    run_id: UUID | None = None,
    idempotency_key: str | None = None,
    correlation_id: str | None = None,
) -> UUID:
    with pool.connection() as conn:
        return _trigger(
            conn,
            registry,
            publisher,
            jobs_prefix,
            workflow_id,
            input_value,
            run_id,
            idempotency_key,
            correlation_id,
        )


def _trigger(
    conn: psycopg.Connection[Any],
    registry: DefinitionRegistry,
    publisher: JobPublisher,
    jobs_prefix: str,
    workflow_id: str,
    input_value: object,
    run_id: UUID | None,
    idempotency_key: str | None,
    correlation_id: str | None,
) -> UUID:
    stored = registry.latest(workflow_id, conn)
    definition = registry.parsed(stored)
    run_id = run_id or uuid.uuid4()
    input_text = orjson.dumps(input_value).decode()
    run = RunRef(run_id, workflow_id, stored.version, correlation_id)
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    planner.plan.events.append(
        Event(run_id, "RUN_CREATED", data=orjson.dumps({"version": stored.version}).decode())
    )
    ctx = starts.context(input_value, {})
    for root in definition.roots:
        starts.start(planner, run, definition.by_id[root], ctx)
    steps = definition.steps
    try:
        with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            cur.execute(
                runs_sql.INSERT_RUN,
                (
                    run_id,
                    workflow_id,
                    stored.version,
                    input_text,
                    idempotency_key,
                    correlation_id,
                    len(definition.sinks),
                ),
            )
            cur.execute(
                runs_sql.INSERT_STEPS,
                (
                    run_id,
                    [s.id for s in steps],
                    [s.action for s in steps],
                    [len(s.depends_on) for s in steps],
                ),
            )
            plan = settle(cur, planner.plan, registry.get, jobs_prefix)
    except psycopg.errors.UniqueViolation as exc:
        raise RunAlreadyExists(str(run_id)) from exc
    publisher.publish(plan.jobs)
    metrics.RUNS_STARTED.inc()
    return run_id
