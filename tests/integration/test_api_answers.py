"""Real answers of a real orchestrator validate against the schemas its /openapi.json declares for
them (every field described, `additionalProperties: false`), for representative routes: a failed
run with a dead letter, a waiting run (fields absent rather than null), lists, counts, statistics,
workers, the session, and an error answer."""

import uuid
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato.api.app import openapi_document

pytestmark = pytest.mark.integration


def _fail(payload: Any) -> Any:
    raise ValueError("no")


def _check(doc: dict[str, Any], method: str, path: str, response: httpx.Response) -> Any:
    """The answer's JSON, after validating it against the schema `path` declares for its status."""
    declared = doc["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    body = response.json()
    validator = Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{method.upper()} {path} -> {response.status_code}: {errors}"
    return body


def test_the_served_document_is_the_generated_one(api: httpx.Client) -> None:
    """`make api-types` generates the dashboard's types from openapi_document(), without a server."""
    assert api.get("/openapi.json").json() == openapi_document()


def test_answers_validate_against_their_schemas(api: httpx.Client, orchestrator: Orchestrator) -> None:
    doc = api.get("/openapi.json").json()
    ok, bad = unique("ok"), unique("bad")
    wid, waiting = unique("answers"), unique("answers-wait")
    _check(
        doc,
        "post",
        "/workflow/",
        api.post("/workflow/", json={"id": wid, "steps": [{"id": "a", "action": ok}]}),
    )
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "a", "action": ok},
                {"id": "b", "action": bad, "dependsOn": ["a"], "retry": {"maxAttempts": 1}},
            ],
        },
    )
    define(api, {"id": waiting, "steps": [{"id": "nap", "wait": {"seconds": 3600}}]})

    started = api.post(f"/workflow/{wid}/trigger", json={"input": {"n": 1}})
    failed = _check(doc, "post", "/workflow/{workflow_id}/trigger", started)["runId"]
    sleeping = trigger(api, waiting, None)
    with running_worker(orchestrator, {ok: lambda p: p, bad: _fail}):
        assert wait_run(api, failed)["status"] == "FAILED"
    until(lambda: api.get(f"/workflow/run/{sleeping}").json()["steps"][0]["status"] == "WAITING")

    run = _check(doc, "get", "/workflow/run/{run_id}", api.get(f"/workflow/run/{failed}"))
    assert "wakeAt" not in run["steps"][0] and "liveAttempt" not in run["steps"][0]
    nap = _check(doc, "get", "/workflow/run/{run_id}", api.get(f"/workflow/run/{sleeping}"))["steps"][0]
    assert nap["wakeAt"]
    _check(doc, "get", "/workflow/run/{run_id}/events", api.get(f"/workflow/run/{failed}/events"))
    _check(doc, "get", "/workflow/run/{run_id}/attempts", api.get(f"/workflow/run/{failed}/attempts"))
    _check(doc, "get", "/workflow/run/{run_id}/attempts", api.get(f"/workflow/run/{sleeping}/attempts"))

    page = _check(doc, "get", "/workflow/runs", api.get("/workflow/runs", params={"workflowId": wid}))
    assert "searched" not in page
    searched = api.get("/workflow/runs", params={"workflowId": wid, "q": "n"})
    assert "searched" in _check(doc, "get", "/workflow/runs", searched)
    _check(doc, "get", "/workflow/runs/counts", api.get("/workflow/runs/counts"))
    _check(doc, "get", "/workflow/runs/counts", api.get("/workflow/runs/counts", params={"q": "n"}))
    bulk = api.post("/workflow/runs/cancel", json={"runIds": [sleeping], "dryRun": True})
    _check(doc, "post", "/workflow/runs/cancel", bulk)
    _check(doc, "post", "/workflow/run/{run_id}/cancel", api.post(f"/workflow/run/{sleeping}/cancel"))

    _check(doc, "get", "/workflow/", api.get("/workflow/"))
    _check(doc, "get", "/workflow/{workflow_id}", api.get(f"/workflow/{wid}"))
    _check(doc, "get", "/workflow/{workflow_id}/versions", api.get(f"/workflow/{wid}/versions"))
    _check(doc, "get", "/workflow/schema", api.get("/workflow/schema"))
    _check(doc, "get", "/workflow/stats", api.get("/workflow/stats"))
    _check(doc, "get", "/stats/overview", api.get("/stats/overview"))
    _check(doc, "get", "/workers", api.get("/workers"))

    dead = _check(doc, "get", "/dead-letters", api.get("/dead-letters", params={"runId": failed}))
    [letter] = dead["deadLetters"]
    _check(doc, "get", "/dead-letters/{dead_letter_id}", api.get(f"/dead-letters/{letter['id']}"))
    replay = api.post("/dead-letters/replay", json={"ids": [letter["id"]], "dryRun": True})
    _check(doc, "post", "/dead-letters/replay", replay)

    _check(doc, "get", "/healthz", api.get("/healthz"))
    _check(doc, "get", "/readyz", api.get("/readyz"))
    _check(doc, "get", "/auth/session", api.get("/auth/session"))
    unknown = api.get(f"/workflow/run/{uuid.uuid4()}")
    assert unknown.status_code == 404
    _check(doc, "get", "/workflow/run/{run_id}", unknown)
