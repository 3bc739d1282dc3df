"""`perKey` ordering: a key's queued records start, oldest first, once its open run has ended.

Every orchestrator's intake ticks this. The keys' advisory locks (taken in the order the consumer
takes them) make the head of a key's queue start once: a tick that finds a key taken by another
waits for it, then finds the head gone or the key's run open.
"""

import logging
from typing import Any

import orjson
import psycopg
from psycopg_pool import ConnectionPool

from legato.runs.trigger import Triggers
from legato.store import triggers_sql
from legato.store.rows import fetch_all
from legato.store.triggers_sql import QueuedRow, QueueKeyRow, TriggerIdRow, TriggerRow
from legato.triggers.records import Taken
from legato.triggers.take import Batch, TriggerGone, lock_keys, start

log = logging.getLogger(__name__)

BATCH = 500


def start_queued(pool: ConnectionPool, writer: Triggers) -> int:
    """Start the head of every queue whose key has no open run; answers how many started."""
    with pool.connection() as conn:
        heads = fetch_all(conn, QueueKeyRow, triggers_sql.STARTABLE, (BATCH,))
    if not heads:
        return 0
    by_trigger: dict[str, list[str]] = {}
    for h in heads:
        by_trigger.setdefault(h.trigger_id, []).append(h.ordering_key)
    started = 0
    for trigger_id, keys in by_trigger.items():
        try:
            with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                batch = _start_heads(cur, writer, trigger_id, keys)
        except TriggerGone:
            continue  # paused or deleted meanwhile: its queue waits, or went with it
        if batch is not None:
            batch.count(trigger_id)
            started += batch.outcomes["started"]
    return started


def _start_heads(
    cur: psycopg.Cursor[Any], writer: Triggers, trigger_id: str, keys: list[str]
) -> Batch | None:
    trigger = fetch_all(cur, TriggerRow, triggers_sql.GET, (trigger_id,))
    if not trigger or trigger[0].paused:
        return None
    lock_keys(cur, trigger_id, keys)
    rows = fetch_all(cur, QueuedRow, triggers_sql.TAKE_HEADS, ([trigger_id] * len(keys), keys))
    if not rows:
        return None
    taken = [
        Taken(
            int(r.source.get("partition", 0)),
            int(r.source.get("offset", 0)),
            orjson.dumps(r.input).decode(),
            r.idempotency_key,
            r.ordering_key,
            r.source,
        )
        for r in sorted(rows, key=lambda r: r.id)
    ]
    batch = Batch()
    start(cur, writer, trigger_id, trigger[0].workflow_id, taken, batch)
    o = batch.outcomes
    if not fetch_all(cur, TriggerIdRow, triggers_sql.COUNT, (o["started"], o["duplicate"], 0, trigger_id)):
        raise TriggerGone(trigger_id)
    return batch
