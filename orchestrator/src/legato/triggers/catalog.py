"""Kafka-topic triggers as the API keeps them: create (where each partition starts), read, pause,
resume, delete. The intake process runs a consumer for every trigger not paused (intake.process)."""

from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato.definitions.registry import UnknownWorkflow
from legato.kafka import clients
from legato.kafka.topics import ensure_topics
from legato.settings import Settings
from legato.store import definitions_sql, triggers_sql
from legato.store.definitions_sql import DefinedRow
from legato.store.rows import fetch_all, fetch_one
from legato.store.triggers_sql import StateRow, TriggerRow
from legato_protocol.topics import trigger_dlt_topic, trigger_group

TIMEOUT_S = 10


class TriggerNotFound(LookupError):
    def __init__(self, trigger_id: str) -> None:
        super().__init__(f"trigger {trigger_id!r} not found")


class TriggerExists(Exception):
    def __init__(self, trigger_id: str) -> None:
        super().__init__(f"trigger {trigger_id!r} exists already (delete it first to change it)")


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    trigger_id: str
    workflow_id: str
    topic: str
    from_beginning: bool
    input: str  # JSON text of the input template
    idempotency_key: str | None
    ordering: str
    paused: bool


def starts(
    settings: Settings, admin: AdminClient, topic: str, from_beginning: bool
) -> list[tuple[int, int, int]]:
    """(partition, first offset to take, end) of each partition the topic has now: its end, or its
    beginning with fromBeginning. A topic that does not exist yet has none (it starts at its beginning)."""
    found = admin.list_topics(topic, timeout=TIMEOUT_S).topics.get(topic)
    if found is None or found.error is not None:
        return []
    reader = Consumer(
        {**clients.connection(settings.kafka.bootstrap_servers), "group.id": "legato-watermarks"}
    )
    try:
        out = []
        for p in sorted(found.partitions):
            low, high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S)
            out.append((p, low if from_beginning else high, high))
        return out
    finally:
        reader.close()


def create(pool: ConnectionPool, settings: Settings, admin: AdminClient, spec: TriggerSpec) -> dict[str, Any]:
    with pool.connection() as conn:
        defined = fetch_one(conn, DefinedRow, definitions_sql.WORKFLOW_DEFINED, (spec.workflow_id,))
        if defined is None or not defined.defined:
            raise UnknownWorkflow(spec.workflow_id)
        if fetch_one(conn, TriggerRow, triggers_sql.GET, (spec.trigger_id,)) is not None:
            raise TriggerExists(spec.trigger_id)
    ensure_topics(admin, [trigger_dlt_topic(settings.kafka.orchestrator_group, spec.trigger_id)], 1)
    begin = starts(settings, admin, spec.topic, spec.from_beginning)
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        row = fetch_one(
            cur,
            TriggerRow,
            triggers_sql.INSERT,
            (
                spec.trigger_id,
                spec.workflow_id,
                spec.topic,
                spec.from_beginning,
                spec.input,
                spec.idempotency_key,
                spec.ordering,
                spec.paused,
            ),
        )
        if row is None:
            raise TriggerExists(spec.trigger_id)
        if begin:
            cur.execute(
                triggers_sql.INSERT_OFFSETS,
                (spec.trigger_id, [b[0] for b in begin], [b[1] for b in begin], [b[2] for b in begin]),
            )
    return view(pool, settings, row)


def get(pool: ConnectionPool, settings: Settings, trigger_id: str) -> dict[str, Any]:
    with pool.connection() as conn:
        row = fetch_one(conn, TriggerRow, triggers_sql.GET, (trigger_id,))
    if row is None:
        raise TriggerNotFound(trigger_id)
    return view(pool, settings, row)


def list_all(pool: ConnectionPool, settings: Settings) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = fetch_all(conn, TriggerRow, triggers_sql.LIST)
        states = {
            s.trigger_id: s
            for s in fetch_all(conn, StateRow, triggers_sql.STATE, ([r.trigger_id for r in rows],))
        }
    return [_json(settings, r, states.get(r.trigger_id)) for r in rows]


def set_paused(pool: ConnectionPool, settings: Settings, trigger_id: str, paused: bool) -> dict[str, Any]:
    with pool.connection() as conn, conn.transaction():
        row = fetch_one(conn, TriggerRow, triggers_sql.SET_PAUSED, (paused, trigger_id))
    if row is None:
        raise TriggerNotFound(trigger_id)
    return view(pool, settings, row)


def delete(pool: ConnectionPool, trigger_id: str) -> None:
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(triggers_sql.DELETE, (trigger_id,))
        if cur.rowcount == 0:
            raise TriggerNotFound(trigger_id)
        cur.execute(triggers_sql.DELETE_OFFSETS, (trigger_id,))
        cur.execute(triggers_sql.DELETE_QUEUE, (trigger_id,))


def view(pool: ConnectionPool, settings: Settings, row: TriggerRow) -> dict[str, Any]:
    with pool.connection() as conn:
        state = fetch_one(conn, StateRow, triggers_sql.STATE, ([row.trigger_id],))
    return _json(settings, row, state)


def _json(settings: Settings, row: TriggerRow, state: StateRow | None) -> dict[str, Any]:
    return {
        "id": row.trigger_id,
        "kafka": {"topic": row.topic, "fromBeginning": row.from_beginning},
        "workflowId": row.workflow_id,
        "input": row.input,
        "idempotencyKey": row.idempotency_key,
        "ordering": row.ordering,
        "paused": row.paused,
        "createdAt": row.created_at.isoformat(),
        "updatedAt": row.updated_at.isoformat(),
        "consumerGroup": trigger_group(settings.kafka.orchestrator_group, row.trigger_id),
        "deadLetterTopic": trigger_dlt_topic(settings.kafka.orchestrator_group, row.trigger_id),
        "lag": None if state is None else state.lag,
        "held": row.held,
        "queued": 0 if state is None else state.queued,
        "counts": {"started": row.started, "duplicates": row.duplicates, "deadLettered": row.dead_lettered},
    }
