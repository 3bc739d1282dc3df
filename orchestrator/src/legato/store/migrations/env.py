"""Alembic environment: the URL is the caller's (legato.store.migrate.upgrade, from the settings)."""

from alembic import context
from sqlalchemy import create_engine

from legato.store.schema import metadata

engine = create_engine(context.config.attributes["url"])
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        # One migrator at a time, even with several orchestrators starting at once.
        context.execute("SELECT pg_advisory_xact_lock(7418800)")
        context.run_migrations()
engine.dispose()
