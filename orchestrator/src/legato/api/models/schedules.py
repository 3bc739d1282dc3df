# ruff: noqa: N815 - the API's field names
"""Schedules and Kafka-topic triggers: what their routes answer."""

from typing import Literal

from pydantic import MISSING

from legato.api.models._base import Answer, Json, Timestamp, Uuid
from legato.api.models.run_list import RunStatus

Overlap = Literal["skip", "bufferOne", "allowAll", "cancelOther"]
FireOutcome = Literal["started", "skipped", "buffered", "failed"]
FireSource = Literal["schedule", "catchup", "manual", "backfill"]


class ScheduleFire(Answer):
    """A fire time the schedule handled, and the run it started (`runStatus` is that run's now)."""

    fireTime: Timestamp
    source: FireSource
    outcome: FireOutcome
    runId: Uuid | None
    runStatus: RunStatus | None
    recordedAt: Timestamp
    message: str | None


class Schedule(Answer):
    """`nextFireTimes`: the next 5 (none while paused). `missedFires`: fire times skipped for being
    older than the catch-up window. `recentFires` (newest first, up to 20) in GET /schedules/{id}."""

    id: str
    workflowId: str
    cron: str | None
    every: str | None
    timezone: str
    startAt: Timestamp | None
    endAt: Timestamp | None
    input: Json
    overlap: Overlap
    catchupWindowSeconds: int
    jitterSeconds: int
    paused: bool
    note: str | None
    createdAt: Timestamp
    updatedAt: Timestamp
    nextFireTimes: list[Timestamp]
    lastFire: ScheduleFire | None
    missedFires: int
    bufferedFires: int
    recentFires: list[ScheduleFire] | MISSING = MISSING


class ScheduleList(Answer):
    schedules: list[Schedule]


class ScheduleFired(Answer):
    """What POST /schedules/{id}/trigger did: the fire time (now) and its outcome."""

    scheduleId: str
    fireTime: Timestamp
    outcome: FireOutcome
    runId: Uuid | None
    message: str | None


class Backfill(Answer):
    """`fires`: the fire times in the range; `alreadyFired`: those handled before (left alone)."""

    scheduleId: str
    fires: int
    started: int
    buffered: int
    skipped: int
    failed: int
    alreadyFired: int


class KafkaSource(Answer):
    topic: str
    fromBeginning: bool


class TriggerCounts(Answer):
    """Records taken: runs started, duplicates of a key already used, records dead-lettered."""

    started: int
    duplicates: int
    deadLettered: int


class Trigger(Answer):
    """`lag`: records of the topic not yet taken (None before the first sample). `held`: why the
    trigger holds its records in Kafka (too much work of its workflow has not started: backpressure),
    None while it takes them. `queued`: records of a `perKey` trigger waiting for the open run of
    their key to end."""

    id: str
    kafka: KafkaSource
    workflowId: str
    input: Json
    idempotencyKey: str | None
    ordering: Literal["none", "perKey"]
    paused: bool
    createdAt: Timestamp
    updatedAt: Timestamp
    consumerGroup: str
    deadLetterTopic: str
    lag: int | None
    held: str | None
    queued: int
    counts: TriggerCounts


class TriggerList(Answer):
    triggers: list[Trigger]
