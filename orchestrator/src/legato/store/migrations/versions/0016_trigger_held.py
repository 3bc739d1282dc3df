"""A Kafka-topic trigger says why it holds its records: `triggers.held` is the reason its consumer
paused its partitions (too much work of its workflow has not started), NULL while it takes them.

A nullable column without a default: no table rewrite.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.add_column("triggers", sa.Column("held", sa.Text()))


def downgrade() -> None:
    op.drop_column("triggers", "held")
