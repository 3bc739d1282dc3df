"""Answers of /healthz and /readyz."""

from typing import Literal

from pydantic import Field

from legato.api.models._base import Answer


class Health(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    """Each dependency is `ok` or `down: <error type>`; `engine` is `ok` or `paused`; `intake` (the
    process that fires schedules and takes Kafka-topic triggers' records) is `ok` or `down`."""

    status: Literal["ready", "not ready"]
    database: str = Field(examples=["ok", "down: PoolTimeout"])
    redis: str
    kafka: str
    engine: str = Field(examples=["ok", "paused"])
    intake: str = Field(examples=["ok", "down"])
