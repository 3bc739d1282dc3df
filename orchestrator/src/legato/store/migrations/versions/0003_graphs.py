"""Workflows as graphs: map items, durable waits, run completion by open sinks.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("runs", sa.Column("open_sinks", sa.Integer, nullable=False, server_default=sa.text("1")))
    op.alter_column("steps", "action", nullable=True)  # a wait step runs no action
    op.add_column("steps", sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")))
    op.add_column("steps", sa.Column("wake_at", sa.DateTime(timezone=True)))
    op.add_column("steps", sa.Column("items_total", sa.Integer))
    op.add_column("steps", sa.Column("items_open", sa.Integer))
    op.create_index("steps_timers", "steps", ["wake_at"], postgresql_where=sa.text("status = 'WAITING'"))
    op.add_column("jobs", sa.Column("item_index", sa.Integer))
    op.create_table(
        "step_items",
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("item_index", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("input", JSONB),
        sa.Column("output", JSONB),
        sa.Column("error", JSONB),
        sa.PrimaryKeyConstraint("run_id", "step_id", "item_index"),
    )
    op.create_index(
        "step_items_pending",
        "step_items",
        ["run_id", "step_id", "item_index"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_table("step_items")
    op.drop_column("jobs", "item_index")
    op.drop_index("steps_timers", "steps")
    for column in ("items_open", "items_total", "wake_at", "position"):
        op.drop_column("steps", column)
    op.alter_column("steps", "action", nullable=False)
    op.drop_column("runs", "open_sinks")
