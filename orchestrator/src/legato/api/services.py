"""The long-lived objects the API shares, built once by `legato serve`."""

from collections.abc import Callable
from dataclasses import dataclass

import redis
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato.auth.policy import AuthMode
from legato.definitions.registry import DefinitionRegistry
from legato.flow.backlog import Backlog
from legato.idempotency.keys import IdempotencyKeys
from legato.kafka.committed import GroupOffsets
from legato.kafka.isolated import GroupAdmin
from legato.runs.batcher import Batcher
from legato.runs.feed import RunFeed
from legato.runs.trigger import TriggerRequest, Triggers
from legato.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    pool: ConnectionPool
    registry: DefinitionRegistry
    redis: "redis.Redis"
    keys: IdempotencyKeys
    admin: AdminClient
    group_offsets: GroupOffsets  # committed offsets (never the admin API's: kafka.committed)
    groups: GroupAdmin  # consumer groups, described in a child process (kafka.isolated)
    engine_ready: Callable[[], bool]
    intake_ready: Callable[[], bool]
    triggers: "Batcher[TriggerRequest]"
    writer: Triggers  # what `triggers` writes with; schedules fire with it in their own transactions
    backlog: Backlog  # admission control: the work not started, sampled
    feed: RunFeed  # who watches which run's history (the event streams)
    auth_mode: AuthMode = AuthMode.OPTIONAL
