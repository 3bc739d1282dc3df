"""The database schema: bring it up to date (`legato serve`, `legato migrate`, `legato keys
--database --migrate`), or tell whether it is (the other `--database` commands never migrate)."""

from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from legato.store.rows import fetch_one

CURRENT_REVISION = "SELECT version_num FROM alembic_version"


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """The schema's revision, as Alembic records it (CURRENT_REVISION)."""

    version_num: str


class SchemaNotCurrent(Exception):
    """The database's schema is missing, older or newer than this Legato's; the message says which."""


def _config() -> Config:
    here = resources.files("legato.store") / "migrations"
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here))
    return config


def upgrade(sqlalchemy_url: str) -> None:
    config = _config()
    config.attributes["url"] = sqlalchemy_url
    command.upgrade(config, "head")


def check_current(conn: psycopg.Connection[Any]) -> None:
    """Raises SchemaNotCurrent unless the schema is at this Legato's latest revision."""
    try:
        with conn.transaction():
            found = fetch_one(conn, RevisionRow, CURRENT_REVISION)
    except psycopg.errors.UndefinedTable:
        found = None
    scripts = ScriptDirectory.from_config(_config())
    head = scripts.get_current_head()
    if found is None:
        raise SchemaNotCurrent("the database has no Legato schema")
    revision = found.version_num
    if revision == head:
        return
    known = {script.revision for script in scripts.walk_revisions()}
    if revision in known:
        raise SchemaNotCurrent(f"the database schema is at revision {revision}; this legato needs {head}")
    raise SchemaNotCurrent(
        f"the database schema is at revision {revision}, which this legato does not know "
        "(a newer Legato migrated it): use that version of legato"
    )
