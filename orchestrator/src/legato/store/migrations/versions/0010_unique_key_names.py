"""An active API key's name is unique, so revoking by name revokes one key and run events that
record `"by": <name>` name one caller. Revoked keys keep their names (a name can be reused once its
key is revoked).

Before the index is made, active keys that would break the rule are renamed, never revoked (they
keep working): of active keys sharing a name the oldest keeps it, the others get `<name> (<key id>)`;
so does an active key named `anonymous` (what requests without a key are recorded as) or named like
a key id. `legato keys list` shows the new names.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"

RENAME_CLASHES = r"""
UPDATE api_keys AS k SET name = k.name || ' (' || k.key_id::text || ')'
FROM (
    SELECT key_id,
           row_number() OVER (PARTITION BY name ORDER BY created_at, key_id) AS nth,
           lower(name) = 'anonymous'
               OR name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AS reserved
    FROM api_keys WHERE revoked_at IS NULL
) AS ranked
WHERE k.key_id = ranked.key_id AND (ranked.nth > 1 OR ranked.reserved)
"""


def upgrade() -> None:
    op.execute(RENAME_CLASHES)
    op.execute("CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX api_keys_active_name")
