"""Exact run operations: attempt generations, counters that cannot drift, idempotency keys and
dead letters recorded in PostgreSQL, indexes for retention.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0004"
down_revision = "0003"

ONE = sa.text("1")


def upgrade() -> None:
    # Every reset of a step or map item (retry, replay) starts a new generation; a job belongs to
    # the generation it was created for and only counts while that generation is current.
    op.add_column("steps", sa.Column("generation", sa.Integer, nullable=False, server_default=ONE))
    op.add_column("step_items", sa.Column("generation", sa.Integer, nullable=False, server_default=ONE))
    op.add_column("jobs", sa.Column("generation", sa.Integer, nullable=False, server_default=ONE))
    # Drift fails loudly instead of firing a join early or completing a run twice.
    op.create_check_constraint("steps_pending_deps_nonnegative", "steps", "pending_deps >= 0")
    op.create_check_constraint(
        "steps_items_open_nonnegative", "steps", "items_open IS NULL OR items_open >= 0"
    )
    op.create_check_constraint("runs_open_sinks_nonnegative", "runs", "open_sinks >= 0")

    # The record of idempotency keys (Redis is the fast path in front of it).
    op.create_table(
        "idempotency_keys",
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", "key"),
    )
    op.create_index("idempotency_keys_expires", "idempotency_keys", ["expires_at"])
    op.create_index("idempotency_keys_run", "idempotency_keys", ["run_id"])

    # Dead jobs, written in the transaction that dead-letters them (the Kafka DLT stays for
    # integrations); `legato dlt` reads this table.
    op.create_table(
        "dead_letters",
        sa.Column("job_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("item_index", sa.Integer),
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default=ONE),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("error_type", sa.Text, nullable=False),
        sa.Column("error_message", sa.Text, nullable=False),
        sa.Column("payload", sa.Text),  # NULL once dropped (retention) or when Kafka refused it
        sa.Column("headers", JSONB),
        sa.Column("correlation_id", sa.Text),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("replayed_at", sa.DateTime(timezone=True)),
        sa.Column("replay_job_id", UUID(as_uuid=True)),
    )
    op.create_index("dead_letters_dead_at", "dead_letters", ["dead_at"])
    op.create_index("dead_letters_run", "dead_letters", ["run_id"])
    op.create_index("dead_letters_workflow", "dead_letters", ["workflow_id", "dead_at"])
    op.create_index("dead_letters_action", "dead_letters", ["action", "dead_at"])

    # Retention finds finished runs by age; everything of a run is found by its run id.
    op.create_index("runs_ended", "runs", ["ended_at"], postgresql_where=sa.text("ended_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("runs_ended", "runs")
    op.drop_table("dead_letters")
    op.drop_table("idempotency_keys")
    op.drop_constraint("runs_open_sinks_nonnegative", "runs")
    op.drop_constraint("steps_items_open_nonnegative", "steps")
    op.drop_constraint("steps_pending_deps_nonnegative", "steps")
    for table in ("jobs", "step_items", "steps"):
        op.drop_column(table, "generation")
