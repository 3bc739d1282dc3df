"""`legato keys ... --database` never migrates the database it points at unless given --migrate:
a missing, older or unknown schema is an error (exit 2) that names the fix."""

import os
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from harness.orchestrator import LEGATO
from harness.services import PG_URL, require_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_database() -> Iterator[str]:
    """The URL of a new, empty database (dropped after the test)."""
    require_stack()
    name = f"legato_keys_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _legato(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_DATABASE_URL": database_url}
    return subprocess.run([str(LEGATO), *args], env=env, capture_output=True, text=True, timeout=60)


def _tables(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return sorted(r[0] for r in rows)


def _set_revision(database_url: str, revision: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = %s", (revision,))


def test_no_schema_is_an_error_naming_the_fix_and_nothing_is_created(empty_database: str) -> None:
    for args in (
        ["keys", "list"],
        ["keys", "create", "--name", "n", "--scope", "admin"],
        ["keys", "revoke", "n"],
    ):
        done = _legato(empty_database, *args, "--database")
        assert done.returncode == 2, done.stderr
        assert "no Legato schema" in done.stderr
        assert "legato migrate" in done.stderr
        assert "--migrate" in done.stderr
        assert done.stdout == ""
    assert _tables(empty_database) == []


def test_migrate_is_asked_for_and_an_old_or_unknown_schema_is_refused(empty_database: str) -> None:
    created = _legato(
        empty_database, "keys", "create", "--database", "--migrate", "--name", "n", "--scope", "admin"
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("lgt_")
    assert "alembic_version" in _tables(empty_database)
    listed = _legato(empty_database, "keys", "list", "--database")
    assert listed.returncode == 0, listed.stderr
    assert "n" in listed.stdout.split()

    _set_revision(empty_database, "0001")
    old = _legato(empty_database, "keys", "list", "--database")
    assert old.returncode == 2
    assert "at revision 0001; this legato needs" in old.stderr
    assert "legato migrate" in old.stderr
    with psycopg.connect(empty_database) as conn:  # still as it was: nothing migrated it
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)

    _set_revision(empty_database, "ffff-from-the-future")
    newer = _legato(empty_database, "keys", "list", "--database")
    assert newer.returncode == 2
    assert "does not know" in newer.stderr


def test_migrate_goes_with_database() -> None:
    done = _legato(PG_URL, "keys", "list", "--migrate")
    assert done.returncode == 2
    assert "--migrate goes with --database" in done.stderr
