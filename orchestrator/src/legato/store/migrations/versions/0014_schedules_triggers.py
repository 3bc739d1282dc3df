"""Workflows that start themselves: schedules, and Kafka-topic triggers.

- `schedules`: one row per schedule; `next_fire_at` is the next fire time not yet handled (NULL:
  none is left) and `due_at` the moment the scheduler takes it (the fire time plus its jitter);
  `missed` counts fire times skipped for being older than the catch-up window.
- `schedule_fires`: one row per fire time handled; its primary key is what makes a fire time start
  at most one run, however many orchestrators fire the schedule. A `buffered` row waits for the
  schedule's open run to end (overlap bufferOne, or a backfill).
- `triggers`: one row per Kafka-topic trigger, with its counters.
- `trigger_offsets`: the next record to take of each partition of a trigger's topic. It is written
  in the transaction that creates the records' runs, so a crash never loses or doubles a run; the
  consumer group only spreads partitions over orchestrators. `high_watermark` is the last sample
  of the partition's end (the lag is the difference).
- `trigger_queue`: records of a `perKey` trigger waiting for the run of their key to end.
- `runs.schedule_id`/`scheduled_at`, `runs.trigger_id`/`ordering_key`: where a run came from.

Nullable columns without defaults: no table rewrite of runs.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0014"
down_revision = "0013"

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("schedule_id", sa.Text(), primary_key=True),
        sa.Column("workflow_id", sa.Text(), nullable=False),
        sa.Column("cron", sa.Text(), nullable=True),
        sa.Column("every", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("input", JSONB(), nullable=True),
        sa.Column("overlap", sa.Text(), nullable=False),
        sa.Column("catchup_window_s", sa.Integer(), nullable=False),
        sa.Column("jitter_s", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("next_fire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_index(
        "schedules_due",
        "schedules",
        ["due_at"],
        postgresql_where=sa.text("NOT paused AND due_at IS NOT NULL"),
    )
    op.create_table(
        "schedule_fires",
        sa.Column("schedule_id", sa.Text(), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("run_id", UUID(as_uuid=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("schedule_id", "fire_time"),
    )
    op.create_index(
        "schedule_fires_buffered",
        "schedule_fires",
        ["schedule_id", "fire_time"],
        postgresql_where=sa.text("outcome = 'buffered'"),
    )
    op.create_index("schedule_fires_recorded", "schedule_fires", ["recorded_at"])
    op.create_table(
        "triggers",
        sa.Column("trigger_id", sa.Text(), primary_key=True),
        sa.Column("workflow_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("from_beginning", sa.Boolean(), nullable=False),
        sa.Column("input", JSONB(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("ordering", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("started", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("duplicates", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("dead_lettered", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "trigger_offsets",
        sa.Column("trigger_id", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("high_watermark", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("trigger_id", "partition"),
    )
    op.create_table(
        "trigger_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("trigger_id", sa.Text(), nullable=False),
        sa.Column("ordering_key", sa.Text(), nullable=False),
        sa.Column("input", JSONB(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("source", JSONB(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_index("trigger_queue_key", "trigger_queue", ["trigger_id", "ordering_key", "id"])
    op.add_column("runs", sa.Column("schedule_id", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("runs", sa.Column("trigger_id", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("ordering_key", sa.Text(), nullable=True))
    op.create_index(
        "runs_schedule", "runs", ["schedule_id"], postgresql_where=sa.text("schedule_id IS NOT NULL")
    )
    op.create_index(
        "runs_trigger", "runs", ["trigger_id"], postgresql_where=sa.text("trigger_id IS NOT NULL")
    )
    op.create_index(
        "runs_ordering_open",
        "runs",
        ["trigger_id", "ordering_key"],
        postgresql_where=sa.text("ordering_key IS NOT NULL AND status IN ('RUNNING', 'PAUSED')"),
    )


def downgrade() -> None:
    op.drop_index("runs_ordering_open", table_name="runs")
    op.drop_index("runs_trigger", table_name="runs")
    op.drop_index("runs_schedule", table_name="runs")
    for column in ("ordering_key", "trigger_id", "scheduled_at", "schedule_id"):
        op.drop_column("runs", column)
    op.drop_table("trigger_queue")
    op.drop_table("trigger_offsets")
    op.drop_table("triggers")
    op.drop_table("schedule_fires")
    op.drop_table("schedules")
