"""Every LEGATO_* setting of the orchestrator, read in one place."""

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True, slots=True)
class Settings:
    api_host: str = field(default_factory=lambda: _env("LEGATO_API_HOST", "127.0.0.1"))
    api_port: int = field(default_factory=lambda: int(_env("LEGATO_API_PORT", "8080")))
    database_url: str = field(
        default_factory=lambda: _env(
            "LEGATO_DATABASE_URL", "postgresql://legato:legato@localhost:5432/legato"
        )
    )
    redis_url: str = field(default_factory=lambda: _env("LEGATO_REDIS_URL", "redis://localhost:6379/0"))
    kafka_bootstrap_servers: str = field(
        default_factory=lambda: _env("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    )
    jobs_topic: str = field(default_factory=lambda: _env("LEGATO_JOBS_TOPIC", "workflow-jobs"))
    results_topic: str = field(default_factory=lambda: _env("LEGATO_RESULTS_TOPIC", "workflow-results"))
    control_topic: str = field(default_factory=lambda: _env("LEGATO_CONTROL_TOPIC", "workflow-control"))
    group_prefix: str = field(default_factory=lambda: _env("LEGATO_GROUP_PREFIX", "legato-workers"))
    orchestrator_group: str = field(
        default_factory=lambda: _env("LEGATO_ORCHESTRATOR_GROUP", "legato-orchestrator")
    )
    job_partitions: int = field(default_factory=lambda: int(_env("LEGATO_JOB_PARTITIONS", "6")))
    idempotency_ttl_seconds: int = field(
        default_factory=lambda: int(_env("LEGATO_IDEMPOTENCY_TTL_SECONDS", "86400"))
    )
    max_body_bytes: int = field(default_factory=lambda: int(_env("LEGATO_MAX_BODY_BYTES", str(1024 * 1024))))
    # One limit for a job's payload and a result's output (UTF-8 bytes of the JSON text): below what
    # the producers (message.max.bytes 1048576) and the broker (1048588) accept with the envelope.
    max_payload_bytes: int = field(default_factory=lambda: int(_env("LEGATO_MAX_PAYLOAD_BYTES", "1000000")))
    max_json_depth: int = field(default_factory=lambda: int(_env("LEGATO_MAX_JSON_DEPTH", "64")))
    result_batch_size: int = field(default_factory=lambda: int(_env("LEGATO_RESULT_BATCH_SIZE", "2000")))
    scheduler_interval_ms: int = field(
        default_factory=lambda: int(_env("LEGATO_SCHEDULER_INTERVAL_MS", "200"))
    )
    # How often the engine looks for RUNNING runs with nothing to run (and resumes them).
    reconcile_interval_ms: int = field(
        default_factory=lambda: int(_env("LEGATO_RECONCILE_INTERVAL_MS", "30000"))
    )
    # An attempt that expires in its queue (scheduleToStartSeconds) or is released by a worker that
    # shuts down is queued again without using an execution attempt, this many times at most; the
    # next expiry counts as a failed attempt (its retry policy decides).
    max_requeues: int = field(default_factory=lambda: int(_env("LEGATO_MAX_REQUEUES", "10")))
    # The backstop of an attempt queued without scheduleToStartSeconds: after this long without any
    # report, the engine asks Kafka whether its worker group consumed the job (engine.unreported);
    # if so the attempt is lost (an undecodable result, an old worker, a record lost to retention)
    # and is queued again. 0: off.
    unreported_timeout_ms: int = field(
        default_factory=lambda: int(_env("LEGATO_UNREPORTED_TIMEOUT_MS", "300000"))
    )
    # LEGATO_AUTH: required | optional | off; unset = optional on loopback, required beyond it.
    auth: str = field(default_factory=lambda: _env("LEGATO_AUTH", ""))
    # LEGATO_ALLOWED_HOSTS: Host names answered besides loopback ones (comma-separated; docs/security.md).
    allowed_hosts: str = field(default_factory=lambda: _env("LEGATO_ALLOWED_HOSTS", ""))
    session_ttl_s: int = field(
        default_factory=lambda: int(float(_env("LEGATO_SESSION_TTL_HOURS", "12")) * 3600)
    )
    log_level: str = field(default_factory=lambda: _env("LEGATO_LOG_LEVEL", "INFO"))
    # The longest a statement of the API may run (its connection pool only: never the engine's
    # batches nor migrations); past it the request answers 503 with Retry-After. 0: no limit.
    api_statement_timeout_ms: int = field(
        default_factory=lambda: int(_env("LEGATO_API_STATEMENT_TIMEOUT_MS", "5000"))
    )
    # Data lifecycle (engine/retention.py). Finished runs older than this are deleted with all
    # their rows; 0 keeps them forever. Fractions are allowed (0.5 = 12 hours).
    retention_days: float = field(default_factory=lambda: float(_env("LEGATO_RETENTION_DAYS", "30")))
    # Payloads of attempts finished longer ago than this are emptied; 0 keeps them.
    job_payload_retention_hours: float = field(
        default_factory=lambda: float(_env("LEGATO_JOB_PAYLOAD_RETENTION_HOURS", "24"))
    )
    retention_interval_s: float = field(
        default_factory=lambda: float(_env("LEGATO_RETENTION_INTERVAL_S", "60"))
    )
    retention_batch_runs: int = field(default_factory=lambda: int(_env("LEGATO_RETENTION_BATCH_RUNS", "500")))

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with SQLAlchemy's psycopg 3 driver name."""
        scheme, _, rest = self.database_url.partition("://")
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else self.database_url
