"""Worker configuration: the LEGATO_* environment contract, read in one place (docs/configuration.md)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from legato_protocol.env import Env
from legato_protocol.kafka_security import KafkaSecurity

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LEVEL_ALIASES = {"WARN": "WARNING"}
_INT32_MAX = 2**31 - 1
"""The largest value of every integer variable, in every SDK (schemas/env/vectors.json): Kafka's
settings are 32-bit, and so are the Java SDK's fields."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def normalise_log_level(level: str) -> str:
    """DEBUG, INFO, WARN/WARNING, ERROR in any case -> the logging module's name, else ValueError."""
    upper = level.strip().upper()
    upper = _LEVEL_ALIASES.get(upper, upper)
    if upper not in LOG_LEVELS:
        raise ValueError(f"log level must be one of DEBUG, INFO, WARN, WARNING, ERROR, got {level!r}")
    return upper


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker process needs to know; `from_env()` reads the LEGATO_* variables."""

    bootstrap_servers: str = "localhost:9092"
    jobs_topic: str = "workflow-jobs"
    results_topic: str = "workflow-results"
    control_topic: str = "workflow-control"
    """Protocol v2: Cancel records, read by every worker from the beginning (no group)."""
    group_prefix: str = "legato-workers"
    job_partitions: int = 6
    worker_id: str = field(default_factory=default_worker_id)
    concurrency: int = 16
    shutdown_timeout_ms: int = 30_000
    log_level: str = "INFO"
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    create_topics: bool = True
    max_payload_bytes: int = 1_000_000
    """Largest `output` JSON text (UTF-8 bytes) a result may carry; larger is ResultTooLarge."""
    max_poll_interval_ms: int = 300_000
    session_timeout_ms: int = 10_000
    stall_timeout_ms: int = 30_000
    """How long records may wait in an action's assigned partitions, with a free handler slot and
    nothing fetched, before the worker warns that its consumer is not making progress (0: never;
    the records-behind gauge is kept either way)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (docs/observability.md); None: off, nothing listens."""
    metrics_host: str = "127.0.0.1"
    kafka_config: Mapping[str, str | int | bool] = field(default_factory=dict, repr=False)
    """Extra librdkafka properties applied to every client, after (over) the security settings."""

    def __post_init__(self) -> None:
        for name in (
            "job_partitions",
            "concurrency",
            "max_payload_bytes",
            "max_poll_interval_ms",
            "session_timeout_ms",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.metrics_port is not None and not 1 <= self.metrics_port <= 65535:
            raise ValueError(f"metrics_port must be between 1 and 65535, got {self.metrics_port}")
        for name in ("shutdown_timeout_ms", "stall_timeout_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        object.__setattr__(self, "log_level", normalise_log_level(self.log_level))
        for name in (
            "bootstrap_servers",
            "jobs_topic",
            "results_topic",
            "control_topic",
            "group_prefix",
            "worker_id",
            "metrics_host",
        ):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be empty")

    @property
    def heartbeat_interval_ms(self) -> int:
        return max(1, min(1000, self.session_timeout_ms // 3))

    def kafka_base_config(self) -> dict[str, str | int | bool]:
        """bootstrap.servers, the security properties and `kafka_config`: shared by every client."""
        return {
            "bootstrap.servers": self.bootstrap_servers,
            **self.security.librdkafka_config(),
            **self.kafka_config,
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        """Build settings from LEGATO_* variables; unset, empty or blank variables keep their default."""
        env = Env(os.environ if environ is None else environ)

        def integer(name: str, default: int, minimum: int) -> int:
            return env.integer(name, default, minimum=minimum, maximum=_INT32_MAX)

        level = env.text("LEGATO_LOG_LEVEL", "INFO")
        try:
            level = normalise_log_level(level)
        except ValueError:
            raise ValueError(
                f"LEGATO_LOG_LEVEL must be one of DEBUG, INFO, WARN, WARNING, ERROR, got {level!r}"
            ) from None
        return cls(
            bootstrap_servers=env.text("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
            jobs_topic=env.text("LEGATO_JOBS_TOPIC", "workflow-jobs"),
            results_topic=env.text("LEGATO_RESULTS_TOPIC", "workflow-results"),
            control_topic=env.text("LEGATO_CONTROL_TOPIC", "workflow-control"),
            group_prefix=env.text("LEGATO_GROUP_PREFIX", "legato-workers"),
            job_partitions=integer("LEGATO_JOB_PARTITIONS", 6, minimum=1),
            worker_id=env.get("LEGATO_WORKER_ID") or default_worker_id(),
            concurrency=integer("LEGATO_WORKER_CONCURRENCY", 16, minimum=1),
            shutdown_timeout_ms=integer("LEGATO_SHUTDOWN_TIMEOUT_MS", 30_000, minimum=0),
            log_level=level,
            security=KafkaSecurity.from_env(environ if environ is not None else os.environ),
            create_topics=env.boolean("LEGATO_CREATE_TOPICS", True),
            max_payload_bytes=integer("LEGATO_MAX_PAYLOAD_BYTES", 1_000_000, minimum=1),
            max_poll_interval_ms=integer("LEGATO_MAX_POLL_INTERVAL_MS", 300_000, minimum=1),
            session_timeout_ms=integer("LEGATO_SESSION_TIMEOUT_MS", 10_000, minimum=1),
            stall_timeout_ms=integer("LEGATO_STALL_TIMEOUT_MS", 30_000, minimum=0),
            metrics_port=_port(env, "LEGATO_METRICS_PORT"),
            metrics_host=env.text("LEGATO_METRICS_HOST", "127.0.0.1"),
        )


def _port(env: Env, name: str) -> int | None:
    if env.get(name) is None:
        return None
    return env.integer(name, 0, minimum=1, maximum=65535)
