"""The long-lived objects the API shares, built once by `legato serve`."""

from collections.abc import Callable
from dataclasses import dataclass

import redis
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato.auth.policy import AuthMode
from legato.definitions.registry import DefinitionRegistry
from legato.idempotency.keys import IdempotencyKeys
from legato.kafka.committed import GroupOffsets
from legato.runs.batcher import Batcher
from legato.runs.trigger import TriggerRequest
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
    engine_ready: Callable[[], bool]
    triggers: "Batcher[TriggerRequest]"
    auth_mode: AuthMode = AuthMode.OPTIONAL
