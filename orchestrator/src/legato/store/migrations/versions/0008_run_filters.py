"""The run list's filters: a workflow's runs per status, by correlation id, by idempotency key.

`runs_workflow_status_created` replaces `runs_workflow_created` (its prefix serves the same
queries), so an insert maintains as many indexes as before; the two new indexes are partial and
hold only runs that carry a correlation id or an idempotency key. The statistics on (workflow_id,
status) let the planner see that a workflow has few runs of a status (it would otherwise walk
`runs_status_created` hoping to find them soon). Built in the migration's transaction: about 3 s
per million runs, writes to `runs` wait meanwhile.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_index("runs_workflow_status_created", "runs", ["workflow_id", "status", "created_at"])
    op.drop_index("runs_workflow_created", "runs")
    op.create_index(
        "runs_correlation", "runs", ["correlation_id"], postgresql_where=sa.text("correlation_id IS NOT NULL")
    )
    op.create_index(
        "runs_idempotency_key",
        "runs",
        ["idempotency_key"],
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.execute("CREATE STATISTICS runs_workflow_status (mcv) ON workflow_id, status FROM runs")
    op.execute("ANALYZE runs")


def downgrade() -> None:
    op.execute("DROP STATISTICS runs_workflow_status")
    op.drop_index("runs_idempotency_key", "runs")
    op.drop_index("runs_correlation", "runs")
    op.create_index("runs_workflow_created", "runs", ["workflow_id", "created_at"])
    op.drop_index("runs_workflow_status_created", "runs")
