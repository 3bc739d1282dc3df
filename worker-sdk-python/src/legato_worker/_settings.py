"""Worker configuration: the LEGATO_* environment contract, read in one place (docs/protocol.md)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker process needs to know; `from_env()` reads the LEGATO_* variables."""

    bootstrap_servers: str = "localhost:9092"
    jobs_topic: str = "workflow-jobs"
    results_topic: str = "workflow-results"
    group_prefix: str = "legato-workers"
    job_partitions: int = 6
    worker_id: str = field(default_factory=default_worker_id)
    concurrency: int = 16
    shutdown_timeout_ms: int = 30_000
    log_level: str = "INFO"
    kafka_config: Mapping[str, str | int | bool] = field(default_factory=dict)
    """Extra librdkafka properties applied to every client (e.g. security settings)."""

    def __post_init__(self) -> None:
        for name in ("job_partitions", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.shutdown_timeout_ms < 0:
            raise ValueError(f"shutdown_timeout_ms must be >= 0, got {self.shutdown_timeout_ms}")
        if self.log_level.upper() not in _LOG_LEVELS:
            raise ValueError(f"log_level must be one of {sorted(_LOG_LEVELS)}, got {self.log_level!r}")
        for name in (
            "bootstrap_servers",
            "jobs_topic",
            "results_topic",
            "group_prefix",
            "worker_id",
        ):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        """Build settings from LEGATO_* variables; unset or empty variables keep their default."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str) -> str:
            return env.get(name) or default

        def number(name: str, default: int) -> int:
            raw = env.get(name)
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"{name} must be an integer, got {raw!r}") from None

        return cls(
            bootstrap_servers=text("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
            jobs_topic=text("LEGATO_JOBS_TOPIC", "workflow-jobs"),
            results_topic=text("LEGATO_RESULTS_TOPIC", "workflow-results"),
            group_prefix=text("LEGATO_GROUP_PREFIX", "legato-workers"),
            job_partitions=number("LEGATO_JOB_PARTITIONS", 6),
            worker_id=text("LEGATO_WORKER_ID", "") or default_worker_id(),
            concurrency=number("LEGATO_WORKER_CONCURRENCY", 16),
            shutdown_timeout_ms=number("LEGATO_SHUTDOWN_TIMEOUT_MS", 30_000),
            log_level=text("LEGATO_LOG_LEVEL", "INFO").upper(),
        )
