"""The run's trace context: the W3C `traceparent` of its trigger span (and `tracestate`, after a
newline), NULL when tracing is off. Every job of the run is published as its child
(docs/observability.md). A nullable column without a default: no table rewrite.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.add_column("runs", sa.Column("trace_context", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "trace_context")
