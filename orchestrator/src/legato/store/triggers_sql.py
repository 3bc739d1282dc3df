"""Statements behind Kafka-topic triggers: their rows, the offsets taken (written with the runs),
and the per-key queue of `perKey` triggers.

Lock order: the advisory locks of the ordering keys a transaction touches (in one sorted order),
then the trigger's row (its counters), then runs.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

TRIGGER_COLUMNS = """
trigger_id, workflow_id, topic, from_beginning, input, idempotency_key, ordering, paused, started,
duplicates, dead_lettered, held, created_at, updated_at
"""


@dataclass(frozen=True, slots=True)
class TriggerRow:
    trigger_id: str
    workflow_id: str
    topic: str
    from_beginning: bool
    input: Any
    idempotency_key: str | None
    ordering: str
    paused: bool
    started: int
    duplicates: int
    dead_lettered: int
    held: str | None
    created_at: datetime
    updated_at: datetime


LIST = "SELECT " + TRIGGER_COLUMNS + " FROM triggers ORDER BY trigger_id"

GET = "SELECT " + TRIGGER_COLUMNS + " FROM triggers WHERE trigger_id = %s"

INSERT = (
    """
INSERT INTO triggers (trigger_id, workflow_id, topic, from_beginning, input, idempotency_key, ordering,
                      paused)
VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s)
ON CONFLICT (trigger_id) DO NOTHING
RETURNING """
    + TRIGGER_COLUMNS
)

# A pause stops the consumers, so no reason to hold stays (a resumed consumer writes its own).
SET_PAUSED = (
    "UPDATE triggers SET paused = %s, held = NULL, updated_at = now() WHERE trigger_id = %s RETURNING "
    + TRIGGER_COLUMNS
)

# Why a consumer holds the trigger's records in Kafka (backpressure), or NULL when it takes them.
# `updated_at` stays: it is the spec's, and a change of it makes the intake start the consumer anew.
SET_HELD = "UPDATE triggers SET held = %s WHERE trigger_id = %s AND held IS DISTINCT FROM %s"

DELETE = "DELETE FROM triggers WHERE trigger_id = %s"
DELETE_OFFSETS = "DELETE FROM trigger_offsets WHERE trigger_id = %s"
DELETE_QUEUE = "DELETE FROM trigger_queue WHERE trigger_id = %s"

# Where each partition starts: written when the trigger is created (the topic's end, unless
# fromBeginning); a partition without a row starts at its beginning (it came after the trigger).
INSERT_OFFSETS = """
INSERT INTO trigger_offsets (trigger_id, partition, next_offset, high_watermark)
SELECT %s, p, n, h FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS v(p, n, h)
"""

# What the intake runs: every trigger, paused or not, and when it last changed.
ACTIVE = "SELECT trigger_id, updated_at, paused FROM triggers"


@dataclass(frozen=True, slots=True)
class ActiveRow:
    trigger_id: str
    updated_at: datetime
    paused: bool


# The offsets taken of the partitions a consumer was assigned.
OFFSETS = "SELECT partition, next_offset FROM trigger_offsets WHERE trigger_id = %s AND partition = ANY(%s)"


@dataclass(frozen=True, slots=True)
class OffsetRow:
    partition: int
    next_offset: int


# The fence: a batch moves each of its partitions' offset on only from the offset its consumer
# read (another orchestrator that took the partition over and moved it makes this batch undo).
ADVANCE_OFFSETS = """
UPDATE trigger_offsets AS o SET next_offset = v.next_offset
FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS v(partition, next_offset, expected)
WHERE o.trigger_id = %s AND o.partition = v.partition AND o.next_offset = v.expected
RETURNING o.partition
"""

# The first batch of a partition without a row (it starts at its beginning).
FIRST_OFFSETS = """
INSERT INTO trigger_offsets (trigger_id, partition, next_offset)
SELECT %s, p, n FROM unnest(%s::int[], %s::bigint[]) AS v(p, n)
ON CONFLICT (trigger_id, partition) DO NOTHING
RETURNING partition
"""


@dataclass(frozen=True, slots=True)
class PartitionRow:
    partition: int


# The counters of a batch, on the trigger's row. No row: the trigger was deleted or paused (after
# the batch was read: it waits for the pause to commit), and the batch is undone.
COUNT = """
UPDATE triggers SET started = started + %s, duplicates = duplicates + %s, dead_lettered = dead_lettered + %s
WHERE trigger_id = %s AND NOT paused
RETURNING trigger_id
"""


@dataclass(frozen=True, slots=True)
class TriggerIdRow:
    trigger_id: str


# Every partition a trigger has taken from (or starts at), with its topic: whose ends to sample.
PARTITIONS = """
SELECT o.trigger_id, t.topic, o.partition FROM trigger_offsets AS o JOIN triggers AS t USING (trigger_id)
"""


@dataclass(frozen=True, slots=True)
class TriggerPartitionRow:
    trigger_id: str
    topic: str
    partition: int


# The partitions' ends, as last sampled (the lag is the difference with next_offset).
SAMPLE_ENDS = """
UPDATE trigger_offsets AS o SET high_watermark = v.high
FROM unnest(%s::text[], %s::int[], %s::bigint[]) AS v(trigger_id, partition, high)
WHERE o.trigger_id = v.trigger_id AND o.partition = v.partition
"""

# A trigger's lag and queue, for its view.
STATE = """
SELECT t.trigger_id,
       (SELECT sum(greatest(o.high_watermark - o.next_offset, 0)) FROM trigger_offsets AS o
        WHERE o.trigger_id = t.trigger_id AND o.high_watermark IS NOT NULL)::bigint AS lag,
       (SELECT count(*) FROM trigger_queue AS q WHERE q.trigger_id = t.trigger_id) AS queued
FROM triggers AS t WHERE t.trigger_id = ANY(%s)
"""


@dataclass(frozen=True, slots=True)
class StateRow:
    trigger_id: str
    lag: int | None
    queued: int


# Every trigger's lag (legato_trigger_lag).
LAGS = """
SELECT trigger_id, sum(greatest(high_watermark - next_offset, 0))::bigint AS lag FROM trigger_offsets
WHERE high_watermark IS NOT NULL GROUP BY trigger_id
"""


@dataclass(frozen=True, slots=True)
class LagRow:
    trigger_id: str
    lag: int


# The ordering keys of a transaction, locked in the caller's (sorted) order.
LOCK_KEYS = """
SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(%s::text[]) WITH ORDINALITY AS u(k, n)
ORDER BY n
"""

# Keys of a perKey trigger that have an open run or records queued: a new record of one waits.
BUSY_KEYS = """
SELECT ordering_key FROM runs
WHERE trigger_id = %(trigger)s AND ordering_key = ANY(%(keys)s) AND status IN ('RUNNING', 'PAUSED')
UNION
SELECT ordering_key FROM trigger_queue WHERE trigger_id = %(trigger)s AND ordering_key = ANY(%(keys)s)
"""


@dataclass(frozen=True, slots=True)
class KeyRow:
    ordering_key: str


QUEUE = """
INSERT INTO trigger_queue (trigger_id, ordering_key, input, idempotency_key, source)
SELECT %s, k, i::jsonb, ik, s::jsonb
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS v(k, i, ik, s)
"""

# The head of each key's queue whose key has no open run: what may start now.
STARTABLE = """
SELECT DISTINCT ON (q.trigger_id, q.ordering_key) q.trigger_id, q.ordering_key
FROM trigger_queue AS q
WHERE NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.trigger_id = q.trigger_id
                  AND r.ordering_key = q.ordering_key AND r.status IN ('RUNNING', 'PAUSED'))
ORDER BY q.trigger_id, q.ordering_key, q.id
LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class QueueKeyRow:
    trigger_id: str
    ordering_key: str


# Under the keys' locks: the head of each key's queue, taken (the key has no open run).
TAKE_HEADS = """
DELETE FROM trigger_queue WHERE id IN (
    SELECT DISTINCT ON (q.trigger_id, q.ordering_key) q.id FROM trigger_queue AS q
    JOIN unnest(%s::text[], %s::text[]) AS v(trigger_id, ordering_key)
      ON q.trigger_id = v.trigger_id AND q.ordering_key = v.ordering_key
    WHERE NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.trigger_id = q.trigger_id
                      AND r.ordering_key = q.ordering_key AND r.status IN ('RUNNING', 'PAUSED'))
    ORDER BY q.trigger_id, q.ordering_key, q.id)
RETURNING id, trigger_id, ordering_key, input, idempotency_key, source
"""


@dataclass(frozen=True, slots=True)
class QueuedRow:
    id: int
    trigger_id: str
    ordering_key: str
    input: Any
    idempotency_key: str | None
    source: Any
