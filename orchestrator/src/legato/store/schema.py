"""The tables, as SQLAlchemy Core metadata (the migrations create exactly these)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

NOW = text("now()")

definitions = Table(
    "workflow_definitions",
    metadata,
    Column("workflow_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("body_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    PrimaryKeyConstraint("workflow_id", "version"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", UUID(as_uuid=True), primary_key=True),
    Column("workflow_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("input", JSONB),
    Column("output", JSONB),
    Column("error", JSONB),
    Column("idempotency_key", Text),
    Column("correlation_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("ended_at", DateTime(timezone=True)),
    Column("open_sinks", Integer, nullable=False, server_default=text("1")),  # run completes at 0
    Column("trace_context", Text),  # traceparent (and tracestate) of its trigger span; NULL untraced
    Column("parent_run_id", UUID(as_uuid=True)),  # a child run: the run whose workflow step started it
    Column("parent_step_id", Text),
    Column("depth", Integer, nullable=False, server_default=text("0")),  # a child's is its parent's + 1
    Column("schedule_id", Text),  # started by this schedule ...
    Column("scheduled_at", DateTime(timezone=True)),  # ... for this fire time
    Column("trigger_id", Text),  # started by a record of this Kafka-topic trigger ...
    Column("ordering_key", Text),  # ... whose key orders its runs (ordering perKey)
    Column("priority", SmallInteger, nullable=False, server_default=text("3")),  # 1 highest .. 5
    Column("concurrency_key", Text),  # its workflow's concurrency key (PENDING while over its limit)
    CheckConstraint("open_sinks >= 0", name="runs_open_sinks_nonnegative"),
    Index("runs_status_created", "status", "created_at"),
    Index("runs_ended", "ended_at", postgresql_where=text("ended_at IS NOT NULL")),
    Index("runs_workflow_status_created", "workflow_id", "status", "created_at"),
    Index("runs_created", "created_at"),
    Index("runs_correlation", "correlation_id", postgresql_where=text("correlation_id IS NOT NULL")),
    Index("runs_idempotency_key", "idempotency_key", postgresql_where=text("idempotency_key IS NOT NULL")),
    Index(
        "runs_children",
        "parent_run_id",
        postgresql_where=text("parent_run_id IS NOT NULL AND status IN ('RUNNING', 'PAUSED')"),
    ),
    Index("runs_schedule", "schedule_id", postgresql_where=text("schedule_id IS NOT NULL")),
    Index("runs_trigger", "trigger_id", postgresql_where=text("trigger_id IS NOT NULL")),
    Index(
        "runs_ordering_open",
        "trigger_id",
        "ordering_key",
        postgresql_where=text("ordering_key IS NOT NULL AND status IN ('RUNNING', 'PAUSED')"),
    ),
    Index(
        "runs_concurrency_open",
        "workflow_id",
        "concurrency_key",
        "status",
        postgresql_where=text("concurrency_key IS NOT NULL AND status IN ('PENDING', 'RUNNING', 'PAUSED')"),
    ),
    # Migration 0008 also creates STATISTICS runs_workflow_status (mcv) ON workflow_id, status.
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("action", Text),  # NULL for a wait step
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("pending_deps", Integer, nullable=False, server_default=text("0")),  # ready at 0
    Column("input", JSONB),
    Column("output", JSONB),
    Column("error", JSONB),
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("position", Integer, nullable=False, server_default=text("0")),  # order in the definition
    Column("wake_at", DateTime(timezone=True)),  # a WAITING step's durable timer
    Column("items_total", Integer),  # a map step's item count
    Column("items_open", Integer),  # its items not yet completed; the map completes at 0
    Column("generation", Integer, nullable=False, server_default=text("1")),  # +1 on every reset
    Column("signal_name", Text),  # a signal step's signal: its timer (wake_at) is its timeout
    Column("child_run_id", UUID(as_uuid=True)),  # a workflow step's child run (of its latest attempt)
    PrimaryKeyConstraint("run_id", "step_id"),
    CheckConstraint("pending_deps >= 0", name="steps_pending_deps_nonnegative"),
    CheckConstraint("items_open IS NULL OR items_open >= 0", name="steps_items_open_nonnegative"),
    Index("steps_timers", "wake_at", postgresql_where=text("status = 'WAITING'")),
    Index(
        "steps_signal_waits",
        "run_id",
        "signal_name",
        postgresql_where=text("status = 'WAITING' AND signal_name IS NOT NULL"),
    ),
    Index(
        "steps_children",
        "child_run_id",
        postgresql_where=text("status = 'RUNNING' AND child_run_id IS NOT NULL"),
    ),
    Index(
        "steps_retry_timers",
        "wake_at",
        postgresql_where=text("status = 'RETRYING' AND wake_at IS NOT NULL"),
    ),
)

# Signals sent to runs, in arrival order (`id`); `signal_id` is the sender's deduplication key.
signals = Table(
    "signals",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("signal_id", Text, nullable=False),
    Column("payload", JSONB),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("consumed_at", DateTime(timezone=True)),  # when a waiting step took it
    Column("step_id", Text),  # the step that took it
    Index("signals_run_signal_id", "run_id", "signal_id", unique=True),
    Index("signals_unconsumed", "run_id", "name", "id", postgresql_where=text("consumed_at IS NULL")),
)

# Schedules: `next_fire_at` is the next fire time not yet handled, `due_at` when it is taken (+ jitter).
schedules = Table(
    "schedules",
    metadata,
    Column("schedule_id", Text, primary_key=True),
    Column("workflow_id", Text, nullable=False),
    Column("cron", Text),
    Column("every", Text),
    Column("timezone", Text, nullable=False),
    Column("start_at", DateTime(timezone=True)),
    Column("end_at", DateTime(timezone=True)),
    Column("input", JSONB),
    Column("overlap", Text, nullable=False),
    Column("catchup_window_s", Integer, nullable=False),
    Column("jitter_s", Integer, nullable=False),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("note", Text),
    Column("next_fire_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("missed", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("schedules_due", "due_at", postgresql_where=text("NOT paused AND due_at IS NOT NULL")),
)

# One row per fire time handled: the primary key makes a fire time start at most one run.
schedule_fires = Table(
    "schedule_fires",
    metadata,
    Column("schedule_id", Text, nullable=False),
    Column("fire_time", DateTime(timezone=True), nullable=False),
    Column("source", Text, nullable=False),  # schedule | catchup | manual | backfill
    Column("outcome", Text, nullable=False),  # started | skipped | buffered | failed
    Column("run_id", UUID(as_uuid=True)),
    Column("message", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    PrimaryKeyConstraint("schedule_id", "fire_time"),
    Index(
        "schedule_fires_buffered", "schedule_id", "fire_time", postgresql_where=text("outcome = 'buffered'")
    ),
    Index("schedule_fires_recorded", "recorded_at"),
)

# Kafka-topic triggers, with their counters.
triggers = Table(
    "triggers",
    metadata,
    Column("trigger_id", Text, primary_key=True),
    Column("workflow_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("from_beginning", Boolean, nullable=False),
    Column("input", JSONB),  # the template of a run's input
    Column("idempotency_key", Text),  # the template of a run's key
    Column("ordering", Text, nullable=False),  # none | perKey
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("started", BigInteger, nullable=False, server_default=text("0")),
    Column("duplicates", BigInteger, nullable=False, server_default=text("0")),
    Column("dead_lettered", BigInteger, nullable=False, server_default=text("0")),
    Column("held", Text),  # why its records wait in Kafka (too much work not started), or NULL
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

# The next record of each partition a trigger takes: written with the records' runs (exactly once).
trigger_offsets = Table(
    "trigger_offsets",
    metadata,
    Column("trigger_id", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column("high_watermark", BigInteger),  # the partition's end when last sampled
    PrimaryKeyConstraint("trigger_id", "partition"),
)

# Records of a perKey trigger waiting for the open run of their key to end.
trigger_queue = Table(
    "trigger_queue",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("trigger_id", Text, nullable=False),
    Column("ordering_key", Text, nullable=False),
    Column("input", JSONB),
    Column("idempotency_key", Text),
    Column("source", JSONB, nullable=False),  # topic, partition, offset
    Column("queued_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("trigger_queue_key", "trigger_id", "ordering_key", "id"),
)

# One row per item of a forEach step: its payload, state and output (gathered in item order).
step_items = Table(
    "step_items",
    metadata,
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("item_index", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("input", JSONB),
    Column("output", JSONB),
    Column("error", JSONB),
    Column("generation", Integer, nullable=False, server_default=text("1")),  # +1 on every reset
    PrimaryKeyConstraint("run_id", "step_id", "item_index"),
    Index(
        "step_items_pending",
        "run_id",
        "step_id",
        "item_index",
        postgresql_where=text("status = 'PENDING'"),
    ),
)

# One row per step attempt. A PENDING row is the transactional outbox: it is published to Kafka
# once not_before has passed, and becomes DISPATCHED when Kafka has acknowledged it.
jobs = Table(
    "jobs",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("timeout_ms", Integer, nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("deadline_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("kafka_partition", Integer),
    Column("kafka_offset", BigInteger),
    Column("item_index", Integer),  # the map item this attempt runs
    Column("generation", Integer, nullable=False, server_default=text("1")),  # of its step or item
    # Long-running attempts (protocol v2). timeout_ms is startToClose; deadline_at is the earliest
    # deadline that applies now, deadline_kind says which (ScheduleToStart, StartToClose, Heartbeat).
    Column("schedule_to_start_ms", Integer),
    Column("heartbeat_ms", Integer),
    Column("started_at", DateTime(timezone=True)),  # a worker reported it started (Progress)
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("details", Text),  # last heartbeat details (JSON text); a retry inherits them
    Column("deadline_kind", Text),
    Column("requeues", Integer, nullable=False, server_default=text("0")),  # schedule-to-start expiries
    Column("worker_id", Text),
    # The start-by time its record carries (deadlineAt), on the database's clock (migration 0011).
    Column("start_by", DateTime(timezone=True)),
    # Flow control (migration 0015): its action had a limit when it was made; it waits for a slot or
    # a token (never published yet); its run's priority, the order of admission.
    Column("limited", Boolean, nullable=False, server_default=false()),
    Column("throttled", Boolean, nullable=False, server_default=false()),
    Column("priority", SmallInteger, nullable=False, server_default=text("3")),
    Index("jobs_run_step", "run_id", "step_id"),
    Index(
        "jobs_outbox",
        "not_before",
        postgresql_where=text("state = 'PENDING' AND NOT throttled"),  # throttled jobs wait for admission
    ),
    Index(
        "jobs_payload_kept",
        "finished_at",
        postgresql_where=text("payload <> '' AND finished_at IS NOT NULL"),
    ),
    Index(
        "jobs_deadline",
        "deadline_at",
        postgresql_where=text("state = 'DISPATCHED'"),
    ),
    Index(
        "jobs_limited_live",
        "action",
        "throttled",
        "priority",
        "created_at",
        postgresql_where=text("limited AND state IN ('PENDING', 'DISPATCHED')"),
    ),
)

# Per-action limits (PUT /actions/{action}/limits): every orchestrator admits jobs under the row's lock.
action_limits = Table(
    "action_limits",
    metadata,
    Column("action", Text, primary_key=True),
    Column("max_concurrent", Integer),
    Column("rate_limit", Integer),  # tokens per period, also the bucket's size
    Column("rate_period_ms", BigInteger),
    Column("tokens", Float, nullable=False, server_default=text("0")),  # as of refilled_at
    Column("refilled_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

# The outbox of Cancel records: attempts the orchestrator no longer wants, published to the control
# topic by the engine and deleted once Kafka has acknowledged them.
job_withdrawals = Table(
    "job_withdrawals",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

events = Table(
    "run_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("type", Text, nullable=False),
    Column("step_id", Text),
    Column("attempt", Integer),
    Column("data", JSONB),
    Index("run_events_run", "run_id", "id"),
)

dlt_replays = Table(
    "dlt_replays",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("dlt_record", Text, nullable=False),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("new_job_id", UUID(as_uuid=True), nullable=False),
    Column("payload_edited", Boolean, nullable=False),
    Column("replayed_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

# The record of Idempotency-Keys, written in the trigger's transaction (Redis is the fast path).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("workflow_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("workflow_id", "key"),
    Index("idempotency_keys_expires", "expires_at"),
    Index("idempotency_keys_run", "run_id"),
)

# Dead jobs, written in the transaction that dead-letters them; `legato dlt` reads this table.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("run_id", UUID(as_uuid=True), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("item_index", Integer),
    Column("workflow_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("generation", Integer, nullable=False, server_default=text("1")),
    Column("reason", Text, nullable=False),
    Column("error_type", Text, nullable=False),
    Column("error_message", Text, nullable=False),
    Column("payload", Text),  # NULL once dropped (retention) or when Kafka refused it
    Column("headers", JSONB),
    Column("correlation_id", Text),
    Column("dead_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replay_job_id", UUID(as_uuid=True)),
    # The dead-letter outbox: the workflow-jobs.DLT record until Kafka acknowledged it, and when
    # the engine's housekeeping may publish it if its own engine has not (both NULL once published).
    Column("record", LargeBinary),
    Column("record_due_at", DateTime(timezone=True)),
    Index("dead_letters_dead_at", "dead_at"),
    Index("dead_letters_run", "run_id"),
    Index("dead_letters_workflow", "workflow_id", "dead_at"),
    Index("dead_letters_action", "action", "dead_at"),
    Index("dead_letters_pending", "record_due_at", postgresql_where=text("record_due_at IS NOT NULL")),
)


# API keys: only a SHA-256 of each key is kept (keys are 256-bit random, so a slow hash buys nothing).
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("prefix", Text, nullable=False),  # the key's first characters, to recognise it in a list
    Column("key_hash", Text, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint("scope IN ('read', 'trigger', 'operate', 'admin')", name="api_keys_scope"),
)

# Dashboard sessions: a hash of the cookie's token, the key it stands for, its CSRF token.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("key_id", UUID(as_uuid=True), ForeignKey("api_keys.key_id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("auth_sessions_expires", "expires_at"),
)
