"""Every LEGATO_* setting of the orchestrator: one object, read and checked once, at start.

`legato serve`, its engine process, `legato migrate` and `legato keys --database` call
`Settings.load()` and pass the object (or the group a part needs) in; nothing below them reads the
environment. The object groups the settings (`settings.kafka.jobs_topic`, `settings.retention.days`)
while the variables keep their flat names (`LEGATO_JOBS_TOPIC`, `LEGATO_RETENTION_DAYS`): each field
names its variable. A value may take the forms every SDK accepts for the same kind of variable
(unset or blank: the default; trimmed; plain decimal integers; ...): docs/configuration.md, checked
on both sides against schemas/env/vectors.json.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from legato.env_forms import Decimal, Integer, LogLevel, Text, describe

# The largest value of a variable the SDKs read too (LEGATO_JOB_PARTITIONS, LEGATO_MAX_PAYLOAD_BYTES):
# every SDK holds those in 32 bits (schemas/env/vectors.json, the last range).
INT32_MAX = 2**31 - 1


class SettingsError(ValueError):
    """Variables with a value outside their form; one line per variable, each naming it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Group(BaseSettings):
    # Each field names its variable (validation_alias); keyword arguments take the field's name.
    # Defaults are not validated: a blank value means "the default", and some defaults are blank.
    model_config = SettingsConfigDict(
        env_prefix="LEGATO_",
        case_sensitive=True,
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        validate_default=False,
    )


class ApiSettings(_Group):
    host: Annotated[str, Text] = Field(default="127.0.0.1", validation_alias="LEGATO_API_HOST")
    port: Annotated[int, Integer(1, 65535)] = Field(default=8080, validation_alias="LEGATO_API_PORT")
    # required | optional | off; unset: optional on loopback, required beyond (auth.policy.resolve).
    auth: Annotated[str, Text] = Field(default="", validation_alias="LEGATO_AUTH")
    # Host names answered besides loopback ones (comma-separated; docs/security.md).
    allowed_hosts: Annotated[str, Text] = Field(default="", validation_alias="LEGATO_ALLOWED_HOSTS")
    session_ttl_hours: Annotated[float, Decimal(0)] = Field(
        default=12.0, validation_alias="LEGATO_SESSION_TTL_HOURS"
    )
    max_body_bytes: Annotated[int, Integer(1)] = Field(
        default=1024 * 1024, validation_alias="LEGATO_MAX_BODY_BYTES"
    )
    # Admission control: while this much work has not started (PENDING runs, jobs no worker has
    # started), a trigger answers 429 with Retry-After and stores nothing (flow.backlog). 0: no limit.
    max_backlog: Annotated[int, Integer(0)] = Field(default=1_000_000, validation_alias="LEGATO_MAX_BACKLOG")
    idempotency_ttl_seconds: Annotated[int, Integer(1)] = Field(
        default=86400, validation_alias="LEGATO_IDEMPOTENCY_TTL_SECONDS"
    )
    # The longest a statement of the API may run (its connection pool only: never the engine's
    # batches nor migrations); past it the request answers 503 with Retry-After. 0: no limit.
    statement_timeout_ms: Annotated[int, Integer(0)] = Field(
        default=5000, validation_alias="LEGATO_API_STATEMENT_TIMEOUT_MS"
    )

    @property
    def session_ttl_s(self) -> int:
        return int(self.session_ttl_hours * 3600)


class StoreSettings(_Group):
    database_url: Annotated[str, Text] = Field(
        default="postgresql://legato:legato@localhost:5432/legato", validation_alias="LEGATO_DATABASE_URL"
    )
    redis_url: Annotated[str, Text] = Field(
        default="redis://localhost:6379/0", validation_alias="LEGATO_REDIS_URL"
    )

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with SQLAlchemy's psycopg 3 driver name."""
        scheme, _, rest = self.database_url.partition("://")
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else self.database_url


class KafkaSettings(_Group):
    """Where the topics and groups are. How to reach a secured Kafka (LEGATO_KAFKA_SECURITY_PROTOCOL,
    _SASL_*, _SSL_*) is read by kafka.clients with the SDK's own code (legato_worker.kafka_security)."""

    bootstrap_servers: Annotated[str, Text] = Field(
        default="localhost:9092", validation_alias="LEGATO_KAFKA_BOOTSTRAP_SERVERS"
    )
    jobs_topic: Annotated[str, Text] = Field(default="workflow-jobs", validation_alias="LEGATO_JOBS_TOPIC")
    results_topic: Annotated[str, Text] = Field(
        default="workflow-results", validation_alias="LEGATO_RESULTS_TOPIC"
    )
    control_topic: Annotated[str, Text] = Field(
        default="workflow-control", validation_alias="LEGATO_CONTROL_TOPIC"
    )
    group_prefix: Annotated[str, Text] = Field(
        default="legato-workers", validation_alias="LEGATO_GROUP_PREFIX"
    )
    orchestrator_group: Annotated[str, Text] = Field(
        default="legato-orchestrator", validation_alias="LEGATO_ORCHESTRATOR_GROUP"
    )
    job_partitions: Annotated[int, Integer(1, INT32_MAX)] = Field(
        default=6, validation_alias="LEGATO_JOB_PARTITIONS"
    )


class EngineSettings(_Group):
    result_batch_size: Annotated[int, Integer(1)] = Field(
        default=2000, validation_alias="LEGATO_RESULT_BATCH_SIZE"
    )
    scheduler_interval_ms: Annotated[int, Integer(1)] = Field(
        default=200, validation_alias="LEGATO_SCHEDULER_INTERVAL_MS"
    )
    # How often the engine looks for RUNNING runs with nothing to run (and resumes them).
    reconcile_interval_ms: Annotated[int, Integer(1)] = Field(
        default=30000, validation_alias="LEGATO_RECONCILE_INTERVAL_MS"
    )
    # An attempt that expires in its queue (scheduleToStartSeconds) or is released by a worker that
    # shuts down is queued again without using an execution attempt, this many times at most; the
    # next expiry counts as a failed attempt (its retry policy decides).
    max_requeues: Annotated[int, Integer(0)] = Field(default=10, validation_alias="LEGATO_MAX_REQUEUES")
    # The backstop of an attempt queued without scheduleToStartSeconds: after this long without any
    # report, the engine asks Kafka whether its worker group consumed the job (engine.unreported);
    # if so the attempt is lost (an undecodable result, an old worker, a record lost to retention)
    # and is queued again. 0: off.
    unreported_timeout_ms: Annotated[int, Integer(0)] = Field(
        default=300000, validation_alias="LEGATO_UNREPORTED_TIMEOUT_MS"
    )


class RetentionSettings(_Group):
    """Data lifecycle (engine/retention.py)."""

    # Finished runs older than this are deleted with all their rows; 0 keeps them forever.
    days: Annotated[float, Decimal(0)] = Field(default=30.0, validation_alias="LEGATO_RETENTION_DAYS")
    # Payloads of attempts finished longer ago than this are emptied; 0 keeps them.
    job_payload_hours: Annotated[float, Decimal(0)] = Field(
        default=24.0, validation_alias="LEGATO_JOB_PAYLOAD_RETENTION_HOURS"
    )
    interval_s: Annotated[float, Decimal(0)] = Field(
        default=60.0, validation_alias="LEGATO_RETENTION_INTERVAL_S"
    )
    batch_runs: Annotated[int, Integer(1)] = Field(
        default=500, validation_alias="LEGATO_RETENTION_BATCH_RUNS"
    )


class PayloadSettings(_Group):
    # One limit for a job's payload and a result's output (UTF-8 bytes of the JSON text): below what
    # the producers (message.max.bytes 1048576) and the broker (1048588) accept with the envelope.
    max_bytes: Annotated[int, Integer(1, INT32_MAX)] = Field(
        default=1_000_000, validation_alias="LEGATO_MAX_PAYLOAD_BYTES"
    )
    max_depth: Annotated[int, Integer(1)] = Field(default=64, validation_alias="LEGATO_MAX_JSON_DEPTH")


class LogSettings(_Group):
    level: Annotated[str, LogLevel] = Field(default="INFO", validation_alias="LEGATO_LOG_LEVEL")


class Settings(BaseModel):
    """The orchestrator's settings, by concern. `Settings.load()` reads and checks the environment;
    `Settings(retention=RetentionSettings(days=1))` reads the groups it is not given."""

    model_config = ConfigDict(frozen=True)

    api: ApiSettings = Field(default_factory=lambda: ApiSettings())
    store: StoreSettings = Field(default_factory=lambda: StoreSettings())
    kafka: KafkaSettings = Field(default_factory=lambda: KafkaSettings())
    engine: EngineSettings = Field(default_factory=lambda: EngineSettings())
    retention: RetentionSettings = Field(default_factory=lambda: RetentionSettings())
    payloads: PayloadSettings = Field(default_factory=lambda: PayloadSettings())
    log: LogSettings = Field(default_factory=lambda: LogSettings())

    @classmethod
    def load(cls) -> Settings:
        """Every group from the LEGATO_* variables; SettingsError names every variable at fault."""
        groups: dict[str, Any] = {}
        problems: list[str] = []
        for name, field in cls.model_fields.items():
            group = field.annotation
            assert isinstance(group, type) and issubclass(group, BaseSettings)
            try:
                groups[name] = group()
            except ValidationError as exc:
                problems.extend(describe(exc))
        if problems:
            raise SettingsError(problems)
        return cls(**groups)


def variables() -> dict[str, Any]:
    """Every variable the orchestrator reads, with its default (the docs' tables are checked against it)."""
    found: dict[str, Any] = {}
    for field in Settings.model_fields.values():
        group = field.annotation
        assert isinstance(group, type) and issubclass(group, BaseModel)
        for member in group.model_fields.values():
            assert isinstance(member.validation_alias, str)
            found[member.validation_alias] = member.default
    return found
