"""Auth optional on loopback (no key: an admin) still refuses what a web page could make a browser
send: a rebound Host name, a cross-site unsafe request, a body not declared JSON; and nobody without
a key manages keys. The README's curl lines keep working."""

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.api import define, trigger, unique
from harness.orchestrator import LEGATO, REPO, Orchestrator, free_port
from harness.services import require_stack

pytestmark = pytest.mark.integration

LOGS = REPO / ".legato" / "logs" / "tests"
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def local() -> Iterator[Orchestrator]:
    """`legato serve` as a developer runs it (auth optional on 127.0.0.1), plus one allowed name."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_AUTH="", LEGATO_ALLOWED_HOSTS="legato.test, Other.Test")
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def api(local: Orchestrator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local.url, timeout=30) as client:
        yield client


def _parked_run(api: httpx.Client) -> tuple[str, str]:
    """A workflow whose step no worker serves, and a run of it that stays open."""
    wid = unique("parked")
    define(api, {"id": wid, "steps": [{"action": unique("nobody-serves"), "stepIndex": 0}]})
    return wid, trigger(api, wid, {"n": 1})


def _runs_of(api: httpx.Client, wid: str) -> list[dict[str, object]]:
    runs: list[dict[str, object]] = api.get("/workflow/runs", params={"workflowId": wid}).json()["runs"]
    return runs


def test_a_text_plain_simple_request_cannot_trigger(api: httpx.Client, local: Orchestrator) -> None:
    wid, _ = _parked_run(api)
    before = len(_runs_of(api, wid))
    body = b'{"input":{}}'  # what <form enctype="text/plain"> or fetch(no-cors) can send unasked
    plain = api.post(f"/workflow/{wid}/trigger", content=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415, plain.text
    assert "application/json" in plain.json()["detail"]
    from_page = api.post(
        f"/workflow/{wid}/trigger", content=body, headers={"Content-Type": "text/plain", "Origin": EVIL}
    )
    assert from_page.status_code == 403 and "cross-site" in from_page.json()["detail"]
    unlabelled = api.post(f"/workflow/{wid}/trigger", content=body)  # a body without Content-Type
    assert unlabelled.status_code == 415
    assert len(_runs_of(api, wid)) == before
    for declared in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        ok = api.post(f"/workflow/{wid}/trigger", content=body, headers={"Content-Type": declared})
        assert ok.status_code == 200, (declared, ok.text)
    assert len(_runs_of(api, wid)) == before + 3


def test_a_cross_site_form_cannot_cancel(api: httpx.Client, local: Orchestrator) -> None:
    _, run_id = _parked_run(api)
    cancel = f"/workflow/run/{run_id}/cancel"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for attack in (
        {**form, "Origin": EVIL},  # <form method=post action=...> on another site
        {**form, "Origin": "http://localhost:3000"},  # another local app: same site, not same origin
        {**form, "Origin": "null"},  # a sandboxed frame or a file: page
        {"Sec-Fetch-Site": "cross-site"},  # a browser that names the site but not the origin
        {"Sec-Fetch-Site": "same-site"},
    ):
        refused = api.post(cancel, content=b"", headers=attack)
        assert refused.status_code == 403, (attack, refused.text)
        assert "cross-site request refused" in refused.json()["detail"]
    assert api.get(f"/workflow/run/{run_id}").json()["status"] != "CANCELLED"
    # An empty form from this very origin is still not JSON.
    same_origin_form = api.post(cancel, content=b"", headers={**form, "Origin": local.url})
    assert same_origin_form.status_code == 415
    # The dashboard's own request (same origin, no body): allowed.
    own = {"Origin": local.url, "Sec-Fetch-Site": "same-origin"}
    assert api.post(cancel, headers=own).status_code == 200, "the API's own page may cancel"
    assert api.get(f"/workflow/run/{run_id}").json()["status"] == "CANCELLED"


def test_a_bodyless_post_needs_no_content_type(api: httpx.Client) -> None:
    _, run_id = _parked_run(api)
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200  # curl -X POST, the CLI


def test_a_rebound_host_name_is_refused(api: httpx.Client, local: Orchestrator) -> None:
    keys_before = local.sql("SELECT count(*) FROM api_keys")[0][0]
    rebound = {"Host": "attacker.example"}
    runs = api.get("/workflow/runs", headers=rebound)
    assert runs.status_code == 400 and "attacker.example" in runs.json()["detail"]
    assert api.get("/workflow/runs", headers={"Host": f"attacker.example:{local.port}"}).status_code == 400
    made = api.post("/auth/keys", json={"name": unique("stolen"), "scope": "admin"}, headers=rebound)
    assert made.status_code in (400, 401) and "key" not in made.json()
    define_body = {"id": unique("rebound"), "steps": [{"action": "x", "stepIndex": 0}]}
    assert api.post("/workflow/", json=define_body, headers=rebound).status_code == 400
    assert local.sql("SELECT count(*) FROM api_keys")[0][0] == keys_before
    for name in ("localhost", "127.0.0.1", "127.0.0.2", "[::1]", "LOCALHOST", "legato.test", "other.test"):
        for host in (name, f"{name}:{local.port}"):
            assert api.get("/workflow/runs", headers={"Host": host}).status_code == 200, host
    assert api.get("/healthz", headers=rebound).status_code == 200  # probes answer any Host


def test_anonymous_requests_never_manage_keys(api: httpx.Client, local: Orchestrator) -> None:
    listed = api.get("/auth/keys")
    assert listed.status_code == 401 and "admin key" in listed.json()["detail"]
    assert api.post("/auth/keys", json={"name": unique("anon"), "scope": "admin"}).status_code == 401
    assert api.delete(f"/auth/keys/{unique('anybody')}").status_code == 401
    created = subprocess.run(
        [str(LEGATO), "keys", "create", "--database", "--name", unique("admin"), "--scope", "admin"],
        env={**local.env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    admin = {"Authorization": f"Bearer {created.stdout.strip()}"}
    assert api.get("/auth/keys", headers=admin).status_code == 200
    assert api.get("/workflow/runs").status_code == 200  # everything else stays open on loopback


def _readme_curls() -> list[list[str]]:
    """The curl commands of the README's "Use the API" block, each as argv."""
    text = (REPO / "README.md").read_text()
    block = text.split("## Use the API", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands, current = [], ""
    for line in block.splitlines():
        current += line.removesuffix("\\") + "\n"
        if line.endswith("\\"):
            continue
        try:
            argv = shlex.split(current, comments=True)
        except ValueError:
            continue  # a quoted body that goes on
        current = ""
        if argv and argv[0] == "curl":
            commands.append(argv)
    return commands


def test_the_readmes_curl_commands_work(local: Orchestrator) -> None:
    commands = _readme_curls()
    assert len(commands) >= 15 and any("-d" in c for c in commands)
    address, run_id = f"127.0.0.1:{local.port}", None
    key = unique("order")  # Redis is shared by the tests' orchestrators: a key of this test's own
    for argv in commands:
        argv = [a.replace("localhost:8080", address).replace("order-42", key) for a in argv]
        if run_id:
            argv = [a.replace("5f0c...", run_id) for a in argv]
        done = subprocess.run(
            [*argv, "-sS", "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=30, check=True
        )
        body, _, status = done.stdout.rpartition("\n")
        assert status.startswith("2"), (argv, status, body)
        if found := re.search(r'"runId":"([0-9a-f-]{36})"', body):
            run_id = run_id or found[1]
    assert run_id, "the README's trigger answered a runId"
    # Without the header curl -d says application/x-www-form-urlencoded: refused, not misread.
    first = next(c for c in commands if "-d" in c)
    bare = [a.replace("localhost:8080", address) for a in first if a != "Content-Type: application/json"]
    bare.remove("-H")
    done = subprocess.run(
        [*bare, "-sS", "-o", "/dev/null", "-w", "%{http_code}"], capture_output=True, text=True, timeout=30
    )
    assert done.stdout == "415"


def test_a_malformed_allowed_host_stops_serve_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(LEGATO), "serve"],
        env={
            "PATH": "/usr/bin:/bin",
            "LEGATO_ALLOWED_HOSTS": "legato.test,https://legato.test/",
            # Checked before anything is used; were it not, nothing shared would be touched.
            "LEGATO_API_PORT": str(free_port()),
            "LEGATO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "LEGATO_ALLOWED_HOSTS" in done.stderr and "Traceback" not in done.stderr
