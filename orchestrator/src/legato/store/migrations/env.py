"""Alembic environment: the URL comes from LEGATO_DATABASE_URL (see legato.settings)."""

from alembic import context
from sqlalchemy import create_engine

from legato.settings import Settings
from legato.store.schema import metadata

engine = create_engine(context.config.attributes.get("url") or Settings().sqlalchemy_url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        # One migrator at a time, even with several orchestrators starting at once.
        context.execute("SELECT pg_advisory_xact_lock(7418800)")
        context.run_migrations()
engine.dispose()
