"""Bad input gets a 4xx that says what is wrong and where; never a 500, never a stack trace."""

from typing import Any

import httpx
import pytest

from harness.api import define, unique

pytestmark = pytest.mark.integration


def _define(api: httpx.Client, body: Any) -> httpx.Response:
    return api.post("/workflow/", json=body)


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"id": "x", "steps": []}, ["body", "steps"], "non-empty"),
        ({"id": "x"}, ["body", "steps"], "non-empty"),
        ({"steps": [{"action": "a", "stepIndex": 0}]}, ["body", "id"], "letters"),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0}, {"action": "b", "stepIndex": 0}]},
            ["body", "steps", 1, "stepIndex"],
            "duplicate",
        ),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0}, {"action": "b"}]},
            ["body", "steps", 1, "stepIndex"],
            "missing",
        ),
        (
            {"id": "x", "steps": [{"action": "no spaces!", "stepIndex": 0}]},
            ["body", "steps", 0, "action"],
            "letters",
        ),
        ({"id": "x", "steps": [{"action": "DLT", "stepIndex": 0}]}, ["body", "steps", 0, "action"], "DLT"),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": -1}]},
            ["body", "steps", 0, "stepIndex"],
            "non-negative",
        ),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0, "colour": "red"}]},
            ["body", "steps", 0, "colour"],
            "unknown field",
        ),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0, "retry": {"maxAttempts": 0}}]},
            ["body", "steps", 0, "retry", "maxAttempts"],
            "between",
        ),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0, "timeoutSeconds": "soon"}]},
            ["body", "steps", 0, "timeoutSeconds"],
            "number",
        ),
        ({"id": "runs", "steps": [{"action": "a", "stepIndex": 0}]}, ["body", "id"], "reserved"),
        (
            {"id": "x", "steps": [{"action": f"a{i}", "stepIndex": i} for i in range(501)]},
            ["body", "steps"],
            "too many",
        ),
        (["not", "an", "object"], ["body"], "JSON object"),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0, "when": "[" * 400 + "input" + "]" * 400}]},
            ["body", "steps", 0, "when"],
            "levels deep",
        ),
        (
            {
                "id": "x",
                "steps": [{"action": "a", "stepIndex": 0, "input": {"n": "${" + "!" * 900 + "input}"}}],
            },
            ["body", "steps", 0, "input", "n"],
            "levels deep",
        ),
        (
            {"id": "x", "steps": [{"action": "a", "stepIndex": 0, "forEach": "[input.n || `1e400`]"}]},
            ["body", "steps", 0, "forEach"],
            "literal",
        ),
    ],
)
def test_invalid_definitions_are_422_naming_the_field(
    api: httpx.Client, body: Any, loc: list[Any], words: str
) -> None:
    r = _define(api, body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == loc
    assert words in detail["msg"]


def test_malformed_json_is_422(api: httpx.Client) -> None:
    r = api.post(
        "/workflow/", content=b'{"id": "x", "steps": [', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert "Traceback" not in r.text


def test_body_over_the_limit_is_413(api: httpx.Client) -> None:
    huge = {"id": "big", "steps": [{"action": "a", "stepIndex": 0}], "pad": "x" * (2 * 1024 * 1024)}
    assert api.post("/workflow/", json=huge).status_code == 413
    wid = unique("small")
    define(api, {"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    r = api.post(f"/workflow/{wid}/trigger", json={"input": "y" * (2 * 1024 * 1024)})
    assert r.status_code == 413


def test_trigger_errors(api: httpx.Client) -> None:
    assert api.post("/workflow/nope-never-defined/trigger", json={"input": 1}).status_code == 404
    wid = unique("t")
    define(api, {"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    r = api.post(f"/workflow/{wid}/trigger", json={"input": 1, "extra": 2})
    assert r.status_code == 422 and "extra" in r.json()["detail"]
    assert api.post(f"/workflow/{wid}/trigger", json=[1, 2]).status_code == 422
    long_key = {"Idempotency-Key": "k" * 300}
    assert api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers=long_key).status_code == 422
    # No body at all is an empty input, like the seed allowed.
    assert api.post(f"/workflow/{wid}/trigger").status_code == 200


def test_read_errors(api: httpx.Client) -> None:
    assert api.get("/workflow/run/not-a-uuid").status_code == 422
    assert api.get("/workflow/run/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get("/workflow/run/00000000-0000-0000-0000-000000000000/events").status_code == 404
    assert api.get("/workflow/never-defined-either").status_code == 404
    assert api.get("/workflow/runs", params={"status": "BOGUS"}).status_code == 422
    assert api.get("/workflow/runs", params={"limit": 0}).status_code == 422
    assert api.get("/workflow/runs", params={"cursor": "garbage"}).status_code == 422


def test_list_runs_filters_and_pages(api: httpx.Client) -> None:
    wid = unique("pages")
    define(api, {"id": wid, "steps": [{"action": unique("idle"), "stepIndex": 0}]})
    made = {api.post(f"/workflow/{wid}/trigger", json={"input": i}).json()["runId"] for i in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"workflowId": wid, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/workflow/runs", params=params).json()
        seen += [r["runId"] for r in page["runs"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert len(seen) == 5 and set(seen) == made
    running = api.get("/workflow/runs", params={"workflowId": wid, "status": "RUNNING"}).json()["runs"]
    assert len(running) == 5
    assert api.get("/workflow/runs", params={"workflowId": wid, "status": "COMPLETED"}).json()["runs"] == []


def test_openapi_and_docs_are_served(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert "/workflow/{workflow_id}/trigger" in spec["paths"]
    assert api.get("/docs").status_code == 200
    assert api.get("/healthz").json() == {"status": "ok"}
    assert "legato_runs_started_total" in api.get("/metrics").text
