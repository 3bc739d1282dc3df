"""API keys, scopes, dashboard sessions with CSRF tokens, and when auth is required."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.api import unique
from harness.cli import legato
from harness.orchestrator import LEGATO, Orchestrator
from harness.services import require_stack
from legato.auth import sessions
from legato.auth.policy import AuthConfigError, AuthMode, required_scope, resolve

pytestmark = pytest.mark.integration

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


@pytest.fixture(scope="module")
def secured() -> Iterator[Orchestrator]:
    """An orchestrator that requires a key for everything but probes, docs and sign-in."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_AUTH="required")
    orch.start()
    yield orch
    orch.drop()


def key(orch: Orchestrator, scope: str, name: str | None = None) -> str:
    out = legato(
        orch, "keys", "create", "--database", "--name", name or unique(scope), "--scope", scope
    ).stdout
    return out.strip()


def client(orch: Orchestrator, api_key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=orch.url, headers=headers, timeout=30)


def test_without_a_key_the_api_refuses_but_probes_answer(secured: Orchestrator) -> None:
    with client(secured) as api:
        for method, path in [("GET", "/workflow/runs"), ("GET", "/workflow/"), ("GET", "/metrics")]:
            r = api.request(method, path)
            assert r.status_code == 401, (path, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
        assert api.post("/workflow/anything/trigger", json={"input": 1}).status_code == 401
        assert api.get("/healthz").status_code == 200
        assert api.get("/openapi.json").status_code == 200
    with client(secured, "lgt_not-a-real-key") as api:
        assert api.get("/workflow/runs").status_code == 401


def test_scopes_nest_read_trigger_operate_admin(secured: Orchestrator) -> None:
    wid = unique("scoped")
    body = {"id": wid, "steps": [{"action": "scoped-step", "stepIndex": 0}]}
    keys = {scope: key(secured, scope) for scope in ("read", "trigger", "operate", "admin")}
    with client(secured, keys["operate"]) as operate:
        assert operate.post("/workflow/", json=body).status_code in (200, 201)
        assert operate.get("/auth/keys").status_code == 403
    with client(secured, keys["read"]) as read:
        assert read.get(f"/workflow/{wid}").status_code == 200
        refused = read.post(f"/workflow/{wid}/trigger", json={"input": 1})
        assert refused.status_code == 403 and "'read'" in refused.json()["detail"]
        assert read.post(f"/workflow/{wid}/trigger/batch", json=[{"input": 1}]).status_code == 403
    with client(secured, keys["trigger"]) as trigger:
        run_id = trigger.post(f"/workflow/{wid}/trigger", json={"input": 1}).json()["runId"]
        batched = trigger.post(f"/workflow/{wid}/trigger/batch", json=[{"input": 2}, {"input": 3}])
        assert batched.status_code == 200 and batched.json()["started"] == 2
        assert trigger.post("/workflow/", json=body).status_code == 403
        assert trigger.post(f"/workflow/run/{run_id}/cancel").status_code == 403
    with client(secured, keys["admin"]) as admin:
        assert admin.post(f"/workflow/run/{run_id}/cancel").status_code == 200
        listed = admin.get("/auth/keys").json()["keys"]
        assert {k["scope"] for k in listed} >= {"read", "trigger", "operate", "admin"}
        assert all("key" not in k and len(k["prefix"]) == 8 for k in listed)


def test_operator_actions_are_recorded_with_the_keys_name(secured: Orchestrator) -> None:
    wid = unique("recorded")
    name = unique("oncall-alice")
    with client(secured, key(secured, "operate", name)) as api:
        api.post("/workflow/", json={"id": wid, "steps": [{"action": "recorded-step", "stepIndex": 0}]})
        run_id = api.post(f"/workflow/{wid}/trigger", json={"input": 1}).json()["runId"]
        assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
        history = api.get(f"/workflow/run/{run_id}/events").json()["events"]
    cancelled = [e for e in history if e["type"] == "RUN_CANCELLED"]
    assert cancelled and cancelled[0]["data"]["by"] == name


def test_a_revoked_key_stops_working_at_once(secured: Orchestrator) -> None:
    name = unique("leaked")
    leaked = key(secured, "read", name)
    with client(secured, leaked) as api:
        assert api.get("/workflow/runs").status_code == 200
        assert "revoked" in legato(secured, "keys", "revoke", "--database", name).stdout
        assert api.get("/workflow/runs").status_code == 401
    assert legato(secured, "keys", "revoke", "--database", name, check=False).returncode == 3  # not found


def test_a_dashboard_session_is_an_httponly_cookie_with_a_csrf_token(secured: Orchestrator) -> None:
    operate = key(secured, "operate")
    with client(secured) as browser:
        anonymous = browser.get("/auth/session")
        assert anonymous.status_code == 401 and anonymous.json()["authRequired"] is True
        assert browser.post("/auth/session", json={"key": "lgt_wrong"}).status_code == 401
        signed_in = browser.post("/auth/session", json={"key": operate})
        assert signed_in.status_code == 200
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = signed_in.json()["csrfToken"]
        assert browser.get("/auth/session").json()["signedIn"] is True
        assert browser.get("/workflow/runs").status_code == 200  # the cookie alone reads
        wid = unique("from-browser")
        body = {"id": wid, "steps": [{"action": "browser-step", "stepIndex": 0}]}
        forged = browser.post("/workflow/", json=body)  # a cross-site form could not add the header
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        assert browser.post("/workflow/", json=body, headers={"X-CSRF-Token": csrf}).status_code in (200, 201)
        assert browser.delete("/auth/session").status_code == 204
        assert browser.get("/workflow/runs").status_code == 401


@pytest.mark.parametrize("foreign", ["theme=dark mode", "a@b=1", 'prefs="{unterminated', "=orphan"])
def test_another_local_apps_cookie_does_not_sign_the_dashboard_out(
    secured: Orchestrator, foreign: str
) -> None:
    """Cookies are per host, not per port: localhost:3000's cookies come with ours, and a cookie the
    strict http.cookies grammar rejects must not hide the session cookie."""
    with client(secured) as browser:
        signed_in = browser.post("/auth/session", json={"key": key(secured, "read")})
        token = signed_in.cookies[sessions.COOKIE]
    for cookie in (f"{foreign}; {sessions.COOKIE}={token}", f"{sessions.COOKIE}={token}; {foreign}"):
        with client(secured) as browser:
            headers = {"Cookie": cookie}
            assert browser.get("/workflow/runs", headers=headers).status_code == 200, cookie
            assert browser.get("/auth/session", headers=headers).json()["signedIn"] is True, cookie


def test_a_key_in_use_is_written_at_most_once_a_minute(secured: Orchestrator) -> None:
    name = unique("busy")
    row = "SELECT xmin::text, last_used_at FROM api_keys WHERE name = %s"
    with client(secured, key(secured, "read", name)) as api:
        assert api.get("/workflow/runs").status_code == 200
        first = secured.sql(row, name)
        assert first[0][1] is not None  # the first use is recorded
        assert api.get("/workflow/runs").status_code == 200
        assert api.get("/workflow/").status_code == 200
        assert secured.sql(row, name) == first  # same row version: no write at all
        aged = secured.sql(
            "UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE name = %s "
            "RETURNING last_used_at",
            name,
        )[0][0]
        assert api.get("/workflow/runs").status_code == 200
        assert secured.sql(row, name)[0][1] > aged


def test_active_key_names_are_unique_and_never_reserved(secured: Orchestrator) -> None:
    name = unique("deployer")
    with client(secured, key(secured, "admin")) as admin:
        first = admin.post("/auth/keys", json={"name": name, "scope": "trigger"})
        assert first.status_code == 201
        again = admin.post("/auth/keys", json={"name": f" {name} ", "scope": "read"})
        assert again.status_code == 409 and "already named" in again.json()["detail"]
        for reserved in (
            "anonymous",
            "Anonymous",
            first.json()["id"],
            "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
        ):
            refused = admin.post("/auth/keys", json={"name": reserved, "scope": "read"})
            assert refused.status_code == 422, (reserved, refused.text)
        assert admin.delete(f"/auth/keys/{name}").json()["revoked"] == [name]  # exactly one
        assert admin.post("/auth/keys", json={"name": name, "scope": "read"}).status_code == 201  # reusable
    active = secured.sql("SELECT count(*) FROM api_keys WHERE name = %s AND revoked_at IS NULL", name)
    assert active[0][0] == 1
    taken = legato(secured, "keys", "create", "--database", "--name", name, "--scope", "read", check=False)
    assert taken.returncode == 1 and "already named" in taken.stderr
    reserved = legato(
        secured, "keys", "create", "--database", "--name", "anonymous", "--scope", "read", check=False
    )
    assert reserved.returncode == 2 and "reserved" in reserved.stderr


def test_in_required_mode_any_host_is_answered_but_bodies_must_be_json(secured: Orchestrator) -> None:
    """Required mode has no anonymous caller to protect: the Host check waits for
    LEGATO_ALLOWED_HOSTS (a proxy's names are the operator's to list). The JSON rule holds."""
    with client(secured, key(secured, "operate")) as api:
        assert api.get("/workflow/runs", headers={"Host": "legato.example.com"}).status_code == 200
        wid = unique("typed")
        body = b'{"id": "%s", "steps": [{"action": "typed-step", "stepIndex": 0}]}' % wid.encode()
        plain = api.post("/workflow/", content=body, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 415
        json_ok = api.post("/workflow/", content=body, headers={"Content-Type": "application/json"})
        assert json_ok.status_code == 201


def test_answers_carry_security_headers(secured: Orchestrator) -> None:
    with client(secured) as api:
        r = api.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_auth_cannot_be_turned_off_beyond_loopback(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(LEGATO), "serve"],
        env={"PATH": "/usr/bin:/bin", "LEGATO_API_HOST": "0.0.0.0", "LEGATO_AUTH": "off"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "auth is required beyond loopback" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("setting", "host", "mode"),
    [
        ("", "127.0.0.1", AuthMode.OPTIONAL),
        ("", "localhost", AuthMode.OPTIONAL),
        ("", "::1", AuthMode.OPTIONAL),
        ("", "0.0.0.0", AuthMode.REQUIRED),
        ("", "10.1.2.3", AuthMode.REQUIRED),
        ("required", "127.0.0.1", AuthMode.REQUIRED),
        ("OFF", "127.0.0.1", AuthMode.OFF),
    ],
)
def test_the_auth_mode_follows_the_bound_address(setting: str, host: str, mode: AuthMode) -> None:
    assert resolve(setting, host) is mode


@pytest.mark.parametrize(
    ("setting", "host"), [("optional", "0.0.0.0"), ("off", "192.168.1.5"), ("maybe", "::1")]
)
def test_unsafe_or_unknown_auth_settings_are_refused(setting: str, host: str) -> None:
    with pytest.raises(AuthConfigError):
        resolve(setting, host)


def test_each_route_needs_the_scope_its_action_implies() -> None:
    assert required_scope("GET", "/workflow/runs") == "read"
    assert required_scope("POST", "/workflow/w-1/trigger") == "trigger"
    assert required_scope("POST", "/workflow/w-1/trigger/batch") == "trigger"
    assert required_scope("POST", "/workflow/w-1/trigger/batches") == "operate"
    assert required_scope("POST", "/workflow/") == "operate"
    assert required_scope("POST", "/workflow/run/x/retry") == "operate"
    assert required_scope("POST", "/dead-letters/replay") == "operate"
    assert required_scope("GET", "/auth/keys") == "admin"
    assert required_scope("GET", "/healthz") is None
    assert required_scope("GET", "/ui/runs/abc") is None
