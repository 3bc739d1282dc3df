"""`legato` with LEGATO_AUTH=required: the first admin key from the database, keys over the API, and
exit code 4 for a missing, bad or too weak key."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli

from harness.api import unique
from harness.cli import as_json, legato
from harness.orchestrator import Orchestrator
from harness.services import require_stack

pytestmark = pytest.mark.integration

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


@pytest.fixture(scope="module")
def secured() -> Iterator[Orchestrator]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_AUTH="required")
    orch.start()
    yield orch
    orch.drop()


def test_keys_and_auth_exit_codes(secured: Orchestrator) -> None:
    # No key exists yet: the first admin key comes straight from the database.
    refused = legato(secured, "keys", "create", "--name", "first", "--scope", "admin", check=False)
    assert refused.returncode == 4
    assert "give a key with --api-key or LEGATO_API_KEY" in refused.stderr
    admin = legato(secured, "keys", "create", "--database", "--name", "first-admin", "--scope", "admin")
    admin_key = admin.stdout.strip()
    assert len(admin_key.splitlines()) == 1
    assert "shown only now" in admin.stderr

    as_admin = {"LEGATO_API_KEY": admin_key}
    reader = as_json(secured, "keys", "create", "--name", unique("reader"), "--scope", "read", env=as_admin)
    assert reader["scope"] == "read"
    same_name = ("keys", "create", "--name", reader["name"], "--scope", "admin")
    taken = legato(secured, *same_name, env=as_admin, check=False)
    assert taken.returncode == 1 and "already named" in taken.stderr and "(HTTP 409)" in taken.stderr
    reserved = legato(
        secured, "keys", "create", "--name", "anonymous", "--scope", "read", env=as_admin, check=False
    )
    assert reserved.returncode == 2 and "reserved" in reserved.stderr
    names = [k["name"] for k in as_json(secured, "keys", "list", env=as_admin)["keys"]]
    assert {"first-admin", reader["name"]} <= set(names)
    table = legato(secured, "keys", "list", env=as_admin).stdout
    assert reader["name"] in table
    assert admin_key not in table  # never the keys themselves

    assert as_json(secured, "runs", "list", env={"LEGATO_API_KEY": reader["key"]})["runs"] == []
    weak = run_cli("--api", secured.url, "--api-key", reader["key"], "keys", "list")
    assert weak.code == 4  # 403: read scope cannot manage keys
    bad = run_cli("--api", secured.url, "--api-key", "lgt_not-a-real-key", "runs", "list")
    assert bad.code == 4
    assert bad.stderr.startswith("legato: error: ")
    assert "(HTTP 401)" in bad.stderr
    assert run_cli("--api", secured.url, "runs", "list").code == 4

    revoked = legato(secured, "keys", "revoke", reader["name"], env=as_admin).stdout
    assert revoked.strip() == f"revoked: {reader['name']}"  # one key: active names are unique
    assert run_cli("--api", secured.url, "--api-key", reader["key"], "runs", "list").code == 4
    gone = legato(secured, "keys", "revoke", reader["name"], env=as_admin, check=False)
    assert gone.returncode == 3
    assert legato(secured, "keys", "revoke", "--database", unique("nobody"), check=False).returncode == 3
    assert "first-admin" in legato(secured, "keys", "list", "--database").stdout
