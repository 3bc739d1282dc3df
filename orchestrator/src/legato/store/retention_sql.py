"""Statements behind retention (engine/retention.py): expired runs deleted, old job payloads dropped.

Everything is set-based and batched; rows are taken with SKIP LOCKED, so several orchestrators
share the work and a run an operation holds is simply left for the next sweep. Lock order is the
engine's: the runs first (FOR UPDATE), then their rows in the other tables.
"""

from dataclasses import dataclass
from uuid import UUID

# Finished runs whose end is older than the retention age, oldest first (index runs_ended). A run
# an Idempotency-Key still answers for is kept until the key expires (LEGATO_IDEMPOTENCY_TTL_SECONDS
# may outlast LEGATO_RETENTION_DAYS): deleting it would let a keyed trigger start a second run.
LOCK_EXPIRED_RUNS = """
SELECT run_id FROM runs
WHERE ended_at IS NOT NULL AND ended_at < now() - make_interval(secs => %s)
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
  AND NOT EXISTS (SELECT 1 FROM idempotency_keys AS k WHERE k.run_id = runs.run_id AND k.expires_at > now())
ORDER BY ended_at
LIMIT %s
FOR UPDATE SKIP LOCKED
"""


@dataclass(frozen=True, slots=True)
class ExpiredRunRow:
    run_id: UUID


# Every table holding rows of a run, children first; each takes the array of locked run ids.
# (table, statement): the table names the metric label.
DELETE_RUN_ROWS: tuple[tuple[str, str], ...] = (
    ("run_events", "DELETE FROM run_events WHERE run_id = ANY(%s)"),
    ("signals", "DELETE FROM signals WHERE run_id = ANY(%s)"),
    ("step_items", "DELETE FROM step_items WHERE run_id = ANY(%s)"),
    ("jobs", "DELETE FROM jobs WHERE run_id = ANY(%s)"),
    ("steps", "DELETE FROM steps WHERE run_id = ANY(%s)"),
    ("dead_letters", "DELETE FROM dead_letters WHERE run_id = ANY(%s)"),
    ("dlt_replays", "DELETE FROM dlt_replays WHERE run_id = ANY(%s)"),
    ("idempotency_keys", "DELETE FROM idempotency_keys WHERE run_id = ANY(%s)"),
    ("schedule_fires", "DELETE FROM schedule_fires WHERE run_id = ANY(%s)"),
    ("runs", "DELETE FROM runs WHERE run_id = ANY(%s)"),
)

# Payloads of attempts that ended long ago: nothing reads them any more (a retry re-renders the
# step's input, a replay uses the dead letter's own copy), so they are emptied in batches.
# A job is terminal once it is neither PENDING nor DISPATCHED (finished_at is then set). The ids
# are taken first (ARRAY(...)), so the update itself reads the primary key, never the whole table.
DROP_OLD_PAYLOADS = """
UPDATE jobs SET payload = ''
WHERE job_id = ANY(ARRAY(
    SELECT job_id FROM jobs
    WHERE payload <> '' AND finished_at < now() - make_interval(secs => %s)
      AND state NOT IN ('PENDING', 'DISPATCHED')
    LIMIT %s
    FOR UPDATE SKIP LOCKED))
"""

# Fire times that started no run (skipped, failed) and are older than the retention age. The
# scheduler never fires a time again that it passed, so their rows are only history.
DROP_OLD_FIRES = """
DELETE FROM schedule_fires
WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM schedule_fires
    WHERE run_id IS NULL AND outcome IN ('skipped', 'failed')
      AND recorded_at < now() - make_interval(secs => %s)
    LIMIT %s))
"""
