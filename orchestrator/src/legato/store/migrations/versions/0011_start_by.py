"""An attempt's start-by time on the database's clock.

`start_by` is what a job record carries as `deadlineAt` (protocol v2): set by PostgreSQL's now()
when the job is written or leased for publication, so the orchestrator's deadline, the record's
start-by time and every other due time come from one clock. `results_partition` is the partition
of the results topic its worker reports on (learned from its first report). Nullable columns
without defaults: no table rewrite.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.add_column("jobs", sa.Column("start_by", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "start_by")
