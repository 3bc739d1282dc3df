"""Migration 0010 on a database that already holds clashing key names: every key keeps working
(renamed, never revoked), the oldest keeps its name, and from then on active names are unique."""

import uuid
from collections.abc import Iterator
from importlib import resources

import psycopg
import pytest
from alembic import command
from alembic.config import Config

from harness.services import PG_URL, require_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def database() -> Iterator[str]:
    require_stack()
    name = f"legato_keys_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_URL.rpartition('/')[0]}/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str, revision: str) -> None:
    here = resources.files("legato.store") / "migrations"
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here))
    config.attributes["url"] = url.replace("postgresql://", "postgresql+psycopg://", 1)
    command.upgrade(config, revision)


def test_clashing_names_are_renamed_and_then_unique(database: str) -> None:
    _migrate(database, "0009")
    named_like_an_id = str(uuid.uuid4())
    keys = [  # (name, minutes ago, revoked)
        ("ops", 30, False),
        ("ops", 20, False),
        ("ops", 10, False),
        ("ops", 40, True),
        ("anonymous", 5, False),
        (named_like_an_id, 5, False),
        ("solo", 5, False),
    ]
    ids = [uuid.uuid4() for _ in keys]
    with psycopg.connect(database) as conn:
        for key_id, (name, ago, revoked) in zip(ids, keys, strict=True):
            conn.execute(
                "INSERT INTO api_keys (key_id, name, scope, prefix, key_hash, created_at, revoked_at) "
                "VALUES (%s, %s, 'read', 'lgt_abcd', %s, now() - %s * interval '1 minute', "
                "CASE WHEN %s THEN now() END)",
                (key_id, name, uuid.uuid4().hex, ago, revoked),
            )
    _migrate(database, "head")
    with psycopg.connect(database) as conn:
        rows = dict(conn.execute("SELECT key_id, name FROM api_keys").fetchall())
        assert [rows[i] for i in ids] == [
            "ops",  # the oldest active key keeps the name
            f"ops ({ids[1]})",
            f"ops ({ids[2]})",
            "ops",  # revoked: untouched
            f"anonymous ({ids[4]})",
            f"{named_like_an_id} ({ids[5]})",
            "solo",
        ]
        assert conn.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL").fetchone() == (1,)
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO api_keys (key_id, name, scope, prefix, key_hash) VALUES (%s, 'solo', 'read', "
                "'lgt_abcd', 'another-hash')",
                (uuid.uuid4(),),
            )
