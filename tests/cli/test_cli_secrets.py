"""No password in what `legato` prints: `serve`, `migrate` and `keys --database` against a database
URL that holds one (unreachable, or not even a URL) say which database, with the password as ***."""

import os
import subprocess

import pytest

from harness.orchestrator import LEGATO, free_port

pytestmark = [pytest.mark.unit, pytest.mark.slow]  # each starts `legato` (seconds)

PASSWORD = "S3cr3t-Pa55word"
URLS = [
    f"postgresql://legato:{PASSWORD}@127.0.0.1:1/legato",  # nothing listens
    f"postgresql://legato:{PASSWORD}@127.0.0.1:notaport/legato",  # not a port
    f"postgres:/legato:{PASSWORD}@127.0.0.1/legato",  # not a URL SQLAlchemy reads
    f"host=127.0.0.1 port=1 user=legato password={PASSWORD}",  # a libpq connection string
]


def _legato(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")},
        "LEGATO_DATABASE_URL": database_url,
        "LEGATO_API_PORT": str(free_port()),
    }
    return subprocess.run([str(LEGATO), *args], env=env, capture_output=True, text=True, timeout=60)


def _no_password(args: list[str], url: str) -> None:
    done = _legato(args, url)
    assert done.returncode != 0
    assert PASSWORD not in done.stdout + done.stderr
    assert "***" in done.stderr, done.stderr


@pytest.mark.parametrize("url", URLS, ids=["unreachable", "bad-port", "not-a-url", "conninfo"])
def test_keys_database_never_prints_the_password(url: str) -> None:
    _no_password(["keys", "list", "--database"], url)


@pytest.mark.parametrize("url", URLS[::2], ids=["unreachable", "not-a-url"])
def test_serve_never_prints_the_password(url: str) -> None:
    _no_password(["serve"], url)


def test_migrate_and_create_never_print_the_password() -> None:
    _no_password(["migrate"], URLS[0])
    _no_password(["keys", "create", "--name", "n", "--scope", "admin", "--database"], URLS[3])
