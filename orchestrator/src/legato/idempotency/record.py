"""PostgreSQL is the record of idempotency keys; Redis (keys.py) is only the fast path in front.

A key's row (workflow, key, body fingerprint, run id, expiry by the database clock) is written in
the transaction that creates its run, so a key has a row exactly when its run exists, whatever
happens around it: a commit whose reply was lost, a crash, a Redis reservation taken over while its
first request was still alive, Redis flushed or failed over. A request that finds the key held is
answered from the row: the same body gets the run (a replay), another body gets 422.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from legato.store import idempotency_sql
from legato.store.rows import fetch_all


@dataclass(frozen=True, slots=True)
class Claim:
    workflow_id: str
    key: str
    fingerprint: str
    run_id: UUID


@dataclass(frozen=True, slots=True)
class Replayed:
    """The key's run exists already (same body): answer with it."""

    run_id: UUID
    ttl_seconds: int  # whole seconds left of the key, by the database clock


class KeyReused(Exception):
    """The key's run was made from a different body: 422."""

    def __init__(self, run_id: UUID, fingerprint: str, ttl_seconds: int) -> None:
        super().__init__(f"Idempotency-Key already used for run {run_id} with a different body")
        self.run_id = run_id
        self.fingerprint = fingerprint
        self.ttl_seconds = ttl_seconds


class KeyBusy(Exception):
    """The key's row changed under this request (it expired in between): try again (409)."""


# None: the key is this request's, create its run. Otherwise the answer the request gets.
Outcome = Replayed | KeyReused | KeyBusy | None


def claim(cur: psycopg.Cursor[Any], claims: Sequence[Claim], ttl_seconds: int) -> list[Outcome]:
    """Claim every key of a group commit in its transaction: one outcome per claim, in order.

    Two claims of one key in the same batch: the first is tried, the second is answered by
    whatever the first got (its row is visible to this transaction)."""
    first: dict[tuple[str, str], Claim] = {}
    for c in claims:
        first.setdefault((c.workflow_id, c.key), c)
    tried = list(first.values())
    claimed = fetch_all(
        cur,
        idempotency_sql.ClaimedRow,
        idempotency_sql.CLAIM,
        (
            ttl_seconds,
            [c.workflow_id for c in tried],
            [c.key for c in tried],
            [c.fingerprint for c in tried],
            [c.run_id for c in tried],
        ),
    )
    won = {(r.workflow_id, r.key) for r in claimed}
    mine = {id(c) for c in tried if (c.workflow_id, c.key) in won}
    rest = [c for c in claims if id(c) not in mine]
    if not rest:
        return [None] * len(claims)
    keys = ([c.workflow_id for c in rest], [c.key for c in rest])
    held = fetch_all(cur, idempotency_sql.HolderRow, idempotency_sql.HOLDERS, keys)
    holders = {(r.workflow_id, r.key): r for r in held}
    return [None if id(c) in mine else _answer(c, holders.get((c.workflow_id, c.key))) for c in claims]


def _answer(c: Claim, holder: idempotency_sql.HolderRow | None) -> Outcome:
    if holder is None:
        return KeyBusy(c.key)
    if holder.fingerprint == c.fingerprint:
        return Replayed(holder.run_id, holder.ttl_seconds)
    return KeyReused(holder.run_id, holder.fingerprint, holder.ttl_seconds)


def delete_expired(conn: psycopg.Connection[Any], batch: int = 1000) -> int:
    """Delete up to `batch` expired key rows (by the database clock) in one short transaction.

    For the engine's periodic work: call it until it returns less than `batch`. Safe next to
    triggers and other orchestrators (rows being replaced or deleted elsewhere are skipped)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(idempotency_sql.DELETE_EXPIRED, (batch,))
        return cur.rowcount
