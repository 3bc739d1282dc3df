"""Retention's payload pass finds finished jobs that still hold a payload by index, not by a scan.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index(
        "jobs_payload_kept",
        "jobs",
        ["finished_at"],
        postgresql_where=sa.text("payload <> '' AND finished_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("jobs_payload_kept", "jobs")
