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
from legato.engine.model import Event
from legato.engine.transitions import Planner
from legato.engine.writes import write_plan
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
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    for root in definition.roots:
        planner.start_step(
            run_id, definition, stored.version, definition.by_id[root], input_text, correlation_id
        )
    plan = planner.plan
    started = {u.step_id: u for u in plan.steps}
    plan.steps = []
    plan.events.insert(
        0, Event(run_id, "RUN_CREATED", data=orjson.dumps({"version": stored.version}).decode())
    )
    steps = definition.steps
    try:
        with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            cur.execute(
                runs_sql.INSERT_RUN,
                (run_id, workflow_id, stored.version, input_text, idempotency_key, correlation_id),
            )
            cur.execute(
                runs_sql.INSERT_STEPS,
                (
                    run_id,
                    [s.id for s in steps],
                    [s.action for s in steps],
                    ["RUNNING" if s.id in started else "PENDING" for s in steps],
                    [1 if s.id in started else 0 for s in steps],
                    [len(s.depends_on) for s in steps],
                    [started[s.id].input if s.id in started else None for s in steps],
                ),
            )
            write_plan(cur, plan)
    except psycopg.errors.UniqueViolation as exc:
        raise RunAlreadyExists(str(run_id)) from exc
    publisher.publish(plan.jobs)
    metrics.RUNS_STARTED.inc()
    return run_id
