"""Long-running attempts: the three timeouts, progress reported by workers, withdrawn attempts.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0006"
down_revision = "0005"

JOB_COLUMNS = (
    sa.Column("schedule_to_start_ms", sa.Integer),
    sa.Column("heartbeat_ms", sa.Integer),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("details", sa.Text),
    sa.Column("deadline_kind", sa.Text),
    sa.Column("requeues", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("worker_id", sa.Text),
)


def upgrade() -> None:
    for column in JOB_COLUMNS:
        op.add_column("jobs", column)
    # Attempts already dispatched keep their old deadline, now named for what it was.
    op.execute("UPDATE jobs SET deadline_kind = 'StartToClose' WHERE deadline_at IS NOT NULL")
    op.create_table(
        "job_withdrawals",
        sa.Column("job_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("job_withdrawals")
    for name in reversed([c.name for c in JOB_COLUMNS]):
        op.drop_column("jobs", name)
