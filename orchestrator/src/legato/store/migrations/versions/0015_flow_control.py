"""Flow control: per-action limits, concurrency keys and priorities.

- `action_limits`: one row per action with a limit: at most `max_concurrent` jobs in flight and a
  token bucket of `rate_limit` tokens per `rate_period_ms` (`tokens` as of `refilled_at`). Every
  orchestrator admits jobs under this row's lock, so the limits hold across all of them.
- `jobs.limited`: the job's action had a limit when it was made; `jobs.throttled`: it waits in
  PostgreSQL for a slot or a token (never published yet). `jobs.priority`: its run's, for the order
  in which throttled jobs are admitted (priority, then age).
- `runs.priority` (1 highest .. 5), `runs.concurrency_key`: the key of a workflow's `concurrency`;
  a run over its key's limit is PENDING until a run of its key ends.

The outbox index (jobs_outbox) leaves throttled jobs out; the two new partial indexes hold only
limited jobs and keyed runs: work without limits pays nothing for them.
New columns have constant defaults: no table rewrite.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "action_limits",
        sa.Column("action", sa.Text(), primary_key=True),
        sa.Column("max_concurrent", sa.Integer(), nullable=True),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("rate_period_ms", sa.BigInteger(), nullable=True),
        sa.Column("tokens", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.add_column("jobs", sa.Column("limited", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("jobs", sa.Column("throttled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column(
        "jobs", sa.Column("priority", sa.SmallInteger(), nullable=False, server_default=sa.text("3"))
    )
    # The outbox holds what may be published: throttled jobs wait for their admission instead.
    op.drop_index("jobs_outbox", table_name="jobs")
    op.create_index(
        "jobs_outbox", "jobs", ["not_before"], postgresql_where=sa.text("state = 'PENDING' AND NOT throttled")
    )
    op.create_index(
        "jobs_limited_live",
        "jobs",
        ["action", "throttled", "priority", "created_at"],
        postgresql_where=sa.text("limited AND state IN ('PENDING', 'DISPATCHED')"),
    )
    op.add_column(
        "runs", sa.Column("priority", sa.SmallInteger(), nullable=False, server_default=sa.text("3"))
    )
    op.add_column("runs", sa.Column("concurrency_key", sa.Text(), nullable=True))
    op.create_index(
        "runs_concurrency_open",
        "runs",
        ["workflow_id", "concurrency_key", "status"],
        postgresql_where=sa.text(
            "concurrency_key IS NOT NULL AND status IN ('PENDING', 'RUNNING', 'PAUSED')"
        ),
    )


def downgrade() -> None:
    op.drop_index("runs_concurrency_open", table_name="runs")
    op.drop_column("runs", "concurrency_key")
    op.drop_column("runs", "priority")
    op.drop_index("jobs_limited_live", table_name="jobs")
    op.drop_index("jobs_outbox", table_name="jobs")
    op.create_index("jobs_outbox", "jobs", ["not_before"], postgresql_where=sa.text("state = 'PENDING'"))
    op.drop_column("jobs", "priority")
    op.drop_column("jobs", "throttled")
    op.drop_column("jobs", "limited")
    op.drop_table("action_limits")
