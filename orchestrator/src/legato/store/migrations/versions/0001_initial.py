"""Initial schema: definitions, runs, steps, jobs (attempts and outbox), run events.

Revision ID: 0001
Revises:
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None

NOW = sa.text("now()")


def _ts(name: str, nullable: bool = True, default: bool = False) -> "sa.Column[Any]":
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=NOW if default else None
    )


def upgrade() -> None:
    op.create_table(
        "workflow_definitions",
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("body_hash", sa.Text, nullable=False),
        _ts("created_at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("workflow_id", "version"),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("input", JSONB),
        sa.Column("output", JSONB),
        sa.Column("error", JSONB),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("correlation_id", sa.Text),
        _ts("created_at", nullable=False, default=True),
        _ts("updated_at", nullable=False, default=True),
        _ts("ended_at"),
    )
    op.create_index("runs_status_created", "runs", ["status", "created_at"])
    op.create_index("runs_workflow_created", "runs", ["workflow_id", "created_at"])
    op.create_index("runs_created", "runs", ["created_at"])
    op.create_table(
        "steps",
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("pending_deps", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("input", JSONB),
        sa.Column("output", JSONB),
        sa.Column("error", JSONB),
        _ts("started_at"),
        _ts("ended_at"),
        sa.PrimaryKeyConstraint("run_id", "step_id"),
    )
    op.create_table(
        "jobs",
        sa.Column("job_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("timeout_ms", sa.Integer, nullable=False),
        _ts("not_before", nullable=False, default=True),
        _ts("created_at", nullable=False, default=True),
        _ts("dispatched_at"),
        _ts("deadline_at"),
        _ts("finished_at"),
        sa.Column("kafka_partition", sa.Integer),
        sa.Column("kafka_offset", sa.BigInteger),
    )
    op.create_index("jobs_run_step", "jobs", ["run_id", "step_id"])
    op.create_index("jobs_outbox", "jobs", ["not_before"], postgresql_where=sa.text("state = 'PENDING'"))
    op.create_index(
        "jobs_deadline", "jobs", ["deadline_at"], postgresql_where=sa.text("state = 'DISPATCHED'")
    )
    op.create_table(
        "run_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        _ts("at", nullable=False, default=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("step_id", sa.Text),
        sa.Column("attempt", sa.Integer),
        sa.Column("data", JSONB),
    )
    op.create_index("run_events_run", "run_events", ["run_id", "id"])


def downgrade() -> None:
    for table in ("run_events", "jobs", "steps", "runs", "workflow_definitions"):
        op.drop_table(table)
