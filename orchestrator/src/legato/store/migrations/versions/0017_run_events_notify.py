"""Every statement that appends to a run's history NOTIFYs `legato_events` with the runs it touched,
so the API's event streams (GET /workflow/run/{id}/events/stream) hear of new events the moment
they commit instead of polling.

A statement-level trigger with a transition table: one notification per statement, whatever its
row count, carrying the distinct run ids (comma-separated), or an empty payload ("any run") when
they would not fit in a notification (8,000 bytes; 200 ids take 7,400). PostgreSQL delivers
notifications at commit and folds identical ones within a transaction. The channel's name is
legato.store.feed_sql.EVENTS_CHANNEL (written out here: a migration never changes).

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"

CREATE_FUNCTION = """
CREATE FUNCTION legato_notify_run_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text[];
BEGIN
    -- one hashed DISTINCT, stopped at 201 runs: the payload names at most 200
    ids := ARRAY(SELECT DISTINCT run_id::text FROM appended LIMIT 201);
    IF cardinality(ids) > 0 THEN
        PERFORM pg_notify(
            'legato_events', CASE WHEN cardinality(ids) <= 200 THEN array_to_string(ids, ',') ELSE '' END
        );
    END IF;
    RETURN NULL;
END $$
"""

CREATE_TRIGGER = """
CREATE TRIGGER run_events_notify AFTER INSERT ON run_events
REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION legato_notify_run_events()
"""


def upgrade() -> None:
    op.execute(CREATE_FUNCTION)
    op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER run_events_notify ON run_events")
    op.execute("DROP FUNCTION legato_notify_run_events()")
