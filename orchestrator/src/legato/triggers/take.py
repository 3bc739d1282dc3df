"""Take a batch of a trigger's records: their runs, and the offsets past them, in one transaction.

Exactly once comes from the offsets being PostgreSQL's, not Kafka's: the transaction that creates
a batch's runs moves `trigger_offsets` past the batch, and a consumer starts each partition it is
assigned at that offset. A crash before the commit leaves no run and the old offset (the records
are read again); after it, the runs and the new offset (they are not). The move is fenced: it
applies only from the offset the consumer read when it was assigned the partition, so a consumer
that lost its partition to another orchestrator (a rebalance it has not seen yet) undoes its batch.

A rendered idempotency key is claimed like an Idempotency-Key (legato.idempotency): a second record
with the same key starts no run (a duplicate). A `perKey` trigger's record whose key has an open run,
or records queued before it, is queued (`trigger_queue`), and starts when the runs before it have
ended (triggers.queue); other keys go on.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
import psycopg

from legato import metrics
from legato.definitions.registry import UnknownWorkflow
from legato.idempotency import record
from legato.runs.trigger import TriggerRequest, Triggers, Written
from legato.store import triggers_sql
from legato.store.rows import fetch_all
from legato.store.triggers_sql import KeyRow, PartitionRow, TriggerIdRow
from legato.triggers.records import Taken

Cursor = psycopg.Cursor[Any]


class Fenced(Exception):
    """Another consumer moved a partition of the batch on: the batch is undone, offsets re-read."""


class TriggerGone(Exception):
    """The trigger was deleted or paused while its batch was read: nothing of the batch commits."""


@dataclass(slots=True)
class Batch:
    """What one batch did: outcomes by kind; `count` once committed."""

    outcomes: Counter[str] = field(default_factory=Counter)  # started, duplicate, queued, deadLettered
    written: list[Written] = field(default_factory=list)

    def count(self, trigger_id: str) -> None:
        for w in self.written:
            w.count()
        for outcome, n in self.outcomes.items():
            metrics.child(metrics.TRIGGER_RECORDS, trigger_id, outcome).inc(n)


def lock_keys(cur: Cursor, trigger_id: str, keys: Sequence[str]) -> None:
    """The advisory locks of `keys` of the trigger, in one order (no two transactions wait in a cycle)."""
    if keys:
        cur.execute(triggers_sql.LOCK_KEYS, (sorted({f"{trigger_id}\x1f{k}" for k in keys}),))


def request(trigger_id: str, workflow_id: str, t: Taken) -> TriggerRequest:
    return TriggerRequest(
        workflow_id,
        orjson.loads(t.input),
        idempotency_key=t.idempotency_key,
        fingerprint=f"trigger:{trigger_id}",
        trigger_id=trigger_id,
        ordering_key=t.ordering_key,
        origin={"triggerId": trigger_id, **t.source},
    )


def start(
    cur: Cursor, writer: Triggers, trigger_id: str, workflow_id: str, taken: list[Taken], batch: Batch
) -> None:
    if not taken:
        return
    written = writer.write_in(cur, [request(trigger_id, workflow_id, t) for t in taken])
    batch.written.append(written)
    for result in written.results:
        if isinstance(result, UUID):
            batch.outcomes["started"] += 1
        elif isinstance(result, UnknownWorkflow | record.KeyBusy):
            # the workflow was defined when the trigger was made (never deleted); a key that expired
            # while it was claimed: the batch is undone and read again
            raise result
        else:
            batch.outcomes["duplicate"] += 1  # its key's run exists (same key, another record)


def take(
    cur: Cursor,
    writer: Triggers,
    trigger_id: str,
    workflow_id: str,
    taken: list[Taken],
    dead: int,
    moves: dict[int, tuple[int | None, int]],
) -> Batch:
    """`moves`: partition -> (the offset its consumer read, or None for a partition without a row;
    the offset past the batch)."""
    _fence(cur, trigger_id, moves)
    batch = Batch()
    batch.outcomes["deadLettered"] = dead
    ordered = [t for t in taken if t.ordering_key is not None]
    queued: list[Taken] = []
    if ordered:
        keys = [t.ordering_key for t in ordered if t.ordering_key is not None]
        lock_keys(cur, trigger_id, keys)
        busy = {
            r.ordering_key
            for r in fetch_all(cur, KeyRow, triggers_sql.BUSY_KEYS, {"trigger": trigger_id, "keys": keys})
        }
        startable: list[Taken] = []
        for t in taken:
            if t.ordering_key is None:
                startable.append(t)
            elif t.ordering_key in busy:
                queued.append(t)
            else:
                busy.add(t.ordering_key)  # its later records wait for this one's run
                startable.append(t)
        taken = startable
    start(cur, writer, trigger_id, workflow_id, taken, batch)
    if queued:
        cur.execute(
            triggers_sql.QUEUE,
            (
                trigger_id,
                [t.ordering_key for t in queued],
                [t.input for t in queued],
                [t.idempotency_key for t in queued],
                [orjson.dumps(t.source).decode() for t in queued],
            ),
        )
        batch.outcomes["queued"] = len(queued)
    o = batch.outcomes
    counted = fetch_all(
        cur, TriggerIdRow, triggers_sql.COUNT, (o["started"], o["duplicate"], o["deadLettered"], trigger_id)
    )
    if not counted:
        raise TriggerGone(trigger_id)
    return batch


def _fence(cur: Cursor, trigger_id: str, moves: dict[int, tuple[int | None, int]]) -> None:
    known = {p: m for p, m in moves.items() if m[0] is not None}
    fresh = {p: m for p, m in moves.items() if m[0] is None}
    if known:
        parts = sorted(known)
        moved = fetch_all(
            cur,
            PartitionRow,
            triggers_sql.ADVANCE_OFFSETS,
            (parts, [known[p][1] for p in parts], [known[p][0] for p in parts], trigger_id),
        )
        if len(moved) != len(parts):
            raise Fenced(trigger_id)
    if fresh:
        parts = sorted(fresh)
        made = fetch_all(
            cur, PartitionRow, triggers_sql.FIRST_OFFSETS, (trigger_id, parts, [fresh[p][1] for p in parts])
        )
        if len(made) != len(parts):
            raise Fenced(trigger_id)
