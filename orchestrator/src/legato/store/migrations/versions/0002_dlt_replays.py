"""Dead-letter replays: one row per replayed dead job, so a replay never runs a step twice.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "dlt_replays",
        sa.Column("job_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("dlt_record", sa.Text, nullable=False),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("new_job_id", UUID(as_uuid=True), nullable=False),
        sa.Column("payload_edited", sa.Boolean, nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("dlt_replays")
