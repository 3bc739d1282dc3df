"""Signals, child workflows, pause and resume.

- `signals`: every signal a run was sent, in arrival order (`id`), kept until its run is deleted;
  `signal_id` is the sender's deduplication key (unique per run); `consumed_at`/`step_id` say which
  waiting step took it. The partial index holds only the signals not yet consumed.
- `runs.parent_run_id`, `parent_step_id`, `depth`: a child run and where it came from; the partial
  index finds the open children of a run (cancel cascades) and nothing else.
- `steps.signal_name`: a signal step's signal (NULL for every other kind: a timer on a signal step
  is its timeout, not its wake-up); `steps.child_run_id`: the child run of a workflow step's
  latest attempt.
- A run's status may be PAUSED (runs.status is free text; no constraint to change).

Nullable columns without defaults, `depth` with a constant default: no table rewrite.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("signal_id", sa.Text(), nullable=False),
        sa.Column("payload", JSONB(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("step_id", sa.Text(), nullable=True),
    )
    op.create_index("signals_run_signal_id", "signals", ["run_id", "signal_id"], unique=True)
    op.create_index(
        "signals_unconsumed",
        "signals",
        ["run_id", "name", "id"],
        postgresql_where=sa.text("consumed_at IS NULL"),
    )
    op.add_column("runs", sa.Column("parent_run_id", UUID(as_uuid=True), nullable=True))
    op.add_column("runs", sa.Column("parent_step_id", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("depth", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_index(
        "runs_children",
        "runs",
        ["parent_run_id"],
        postgresql_where=sa.text("parent_run_id IS NOT NULL AND status IN ('RUNNING', 'PAUSED')"),
    )
    op.add_column("steps", sa.Column("signal_name", sa.Text(), nullable=True))
    op.add_column("steps", sa.Column("child_run_id", UUID(as_uuid=True), nullable=True))
    op.create_index(
        "steps_signal_waits",
        "steps",
        ["run_id", "signal_name"],
        postgresql_where=sa.text("status = 'WAITING' AND signal_name IS NOT NULL"),
    )
    op.create_index(
        "steps_children",
        "steps",
        ["child_run_id"],
        postgresql_where=sa.text("status = 'RUNNING' AND child_run_id IS NOT NULL"),
    )
    op.create_index(
        "steps_retry_timers",
        "steps",
        ["wake_at"],
        postgresql_where=sa.text("status = 'RETRYING' AND wake_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("steps_retry_timers", table_name="steps")
    op.drop_index("steps_children", table_name="steps")
    op.drop_index("steps_signal_waits", table_name="steps")
    op.drop_column("steps", "child_run_id")
    op.drop_column("steps", "signal_name")
    op.drop_index("runs_children", table_name="runs")
    op.drop_column("runs", "depth")
    op.drop_column("runs", "parent_step_id")
    op.drop_column("runs", "parent_run_id")
    op.drop_table("signals")
