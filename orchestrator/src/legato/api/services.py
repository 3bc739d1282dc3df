"""The long-lived objects the API and the engine share, built once by `legato serve`."""

from dataclasses import dataclass

import redis
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato.definitions.registry import DefinitionRegistry
from legato.engine.loop import Engine
from legato.idempotency.keys import IdempotencyKeys
from legato.kafka.publisher import JobPublisher
from legato.runs.batcher import Batcher
from legato.runs.trigger import TriggerRequest
from legato.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    pool: ConnectionPool
    registry: DefinitionRegistry
    publisher: JobPublisher
    redis: "redis.Redis"
    keys: IdempotencyKeys
    admin: AdminClient
    engine: Engine
    triggers: "Batcher[TriggerRequest]"
