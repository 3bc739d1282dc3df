"""The dead-letter outbox: a `dead_letters` row keeps its workflow-jobs.DLT record (`record`) until
Kafka has acknowledged it, so the engine confirms that publication after its batch transaction has
committed, not inside it; `record_due_at` is when the engine's housekeeping may publish a record its
own engine did not confirm (a crash, an outage). Both NULL once published. Nullable columns without
defaults: no table rewrite; the partial index holds only pending rows.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("record", sa.LargeBinary(), nullable=True))
    op.add_column("dead_letters", sa.Column("record_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "dead_letters_pending",
        "dead_letters",
        ["record_due_at"],
        postgresql_where=sa.text("record_due_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("dead_letters_pending", table_name="dead_letters")
    op.drop_column("dead_letters", "record_due_at")
    op.drop_column("dead_letters", "record")
