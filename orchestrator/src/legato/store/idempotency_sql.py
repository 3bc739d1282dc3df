"""Statements behind the record of idempotency keys (legato.idempotency.record).

One row per workflow and key, written in the transaction that creates the key's run. Every time
(expiry, what is left) is the database's clock, never the application's.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from uuid import UUID

# Claim keys for new runs, in one statement for a whole group commit. A key that is free, or whose
# row has expired, is written (an expired row is replaced); a key held by another row is left
# alone and does not come back. A concurrent transaction writing the same key makes this one wait
# for its outcome (the primary key), so two requests can never both claim a key. Rows go in key
# order, so two group commits sharing keys wait for each other instead of deadlocking.
CLAIM = """
INSERT INTO idempotency_keys AS k (workflow_id, key, fingerprint, run_id, created_at, expires_at)
SELECT workflow_id, key, fingerprint, run_id, now(), now() + make_interval(secs => %s)
FROM unnest(%s::text[], %s::text[], %s::text[], %s::uuid[]) AS v(workflow_id, key, fingerprint, run_id)
ORDER BY workflow_id, key
ON CONFLICT (workflow_id, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, run_id = EXCLUDED.run_id,
    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
WHERE k.expires_at <= now()
RETURNING workflow_id, key
"""


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """A key CLAIM wrote: this transaction holds it."""

    workflow_id: str
    key: str


# The rows that hold keys a claim did not get, with the whole seconds they have left.
HOLDERS = """
SELECT k.workflow_id, k.key, k.fingerprint, k.run_id,
       greatest(floor(extract(epoch FROM k.expires_at - now())), 0)::int AS ttl_seconds
FROM idempotency_keys k
JOIN unnest(%s::text[], %s::text[]) AS v(workflow_id, key)
  ON k.workflow_id = v.workflow_id AND k.key = v.key
"""


@dataclass(frozen=True, slots=True)
class HolderRow:
    """The row holding a key (HOLDERS): its body's fingerprint, its run, its whole seconds left."""

    workflow_id: str
    key: str
    fingerprint: str
    run_id: UUID
    ttl_seconds: int


# Expired rows, a small batch at a time; rows a trigger is replacing right now are skipped. The batch
# is MATERIALIZED: picked once (a subquery joined to the DELETE could be scanned again, and with
# SKIP LOCKED and ties in expires_at each scan may pick other rows: more than `batch` deleted).
DELETE_EXPIRED = """
WITH old AS MATERIALIZED (
    SELECT workflow_id, key FROM idempotency_keys
    WHERE expires_at <= now()
    ORDER BY expires_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM idempotency_keys AS k USING old
WHERE k.workflow_id = old.workflow_id AND k.key = old.key AND k.expires_at <= now()
"""
