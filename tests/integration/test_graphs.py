"""Graph workflows through real Kafka, PostgreSQL and Python workers: fan-out, fan-in, templates,
conditions, definition errors and the JSON Schema."""

import threading
from typing import Any

import httpx
import pytest

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.workers import running_worker

pytestmark = pytest.mark.integration


def test_fan_out_dispatches_siblings_together_and_fan_in_waits_for_all(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, split, branch, join = unique("fan"), unique("split"), unique("branch"), unique("join")
    width = 100
    steps: list[dict[str, Any]] = [{"id": "split", "action": split}]
    steps += [
        {
            "id": f"b{i}",
            "action": branch,
            "dependsOn": ["split"],
            "input": {"n": i, "base": "${steps.split.output}"},
        }
        for i in range(width)
    ]
    steps.append({"id": "join", "action": join, "dependsOn": [f"b{i}" for i in range(width)]})
    define(api, {"id": wid, "steps": steps})
    joined: list[Any] = []

    def on_join(p: dict[str, Any]) -> int:
        joined.append(p)
        return sum(p.values())

    handlers = {split: lambda p: p * 10, branch: lambda p: p["base"] + p["n"], join: on_join}
    run_id = trigger(api, wid, 1)
    with running_worker(orchestrator, handlers):
        run = wait_run(api, run_id, timeout=60)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["output"] == sum(10 + i for i in range(width))
    assert joined == [{f"b{i}": 10 + i for i in range(width)}]
    # every branch was dispatched in the same engine batch as the others: one transaction
    created = orchestrator.sql(
        "SELECT count(DISTINCT created_at) FROM jobs WHERE run_id = %s AND step_id LIKE 'b%%'", run_id
    )
    assert created[0][0] == 1
    assert len(joined) == 1


def test_templates_pass_nested_values_between_steps(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, validate, charge, notify = unique("tmpl"), unique("validate"), unique("charge"), unique("notify")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "validate", "action": validate},
                {
                    "id": "charge",
                    "action": charge,
                    "dependsOn": ["validate"],
                    "input": {"total": "${steps.validate.output.total}", "customer": "${input.customer}"},
                },
                {
                    "id": "notify",
                    "action": notify,
                    "dependsOn": ["charge"],
                    "input": ["${input.customer.email}", "${steps.charge.output}", "literal", 7],
                },
            ],
        },
    )
    handlers = {
        validate: lambda p: {"total": sum(i["price"] for i in p["items"]), "ok": True},
        charge: lambda p: {"charged": p["total"], "to": p["customer"]["name"]},
        notify: lambda p: p,
    }
    order = {"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"price": 3}, {"price": 4}]}
    run_id = trigger(api, wid, order)
    with running_worker(orchestrator, handlers):
        run = wait_run(api, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["charge"]["input"] == {"total": 7, "customer": order["customer"]}
    assert run["output"] == ["ada@example.com", {"charged": 7, "to": "Ada"}, "literal", 7]


def test_when_false_skips_the_step_and_dependants_still_run(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, check, fraud, ship = unique("cond"), unique("check"), unique("fraud"), unique("ship")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "check", "action": check},
                {
                    "id": "fraud",
                    "action": fraud,
                    "dependsOn": ["check"],
                    "when": "steps.check.output.total > `100`",
                },
                {"id": "ship", "action": ship, "dependsOn": ["check", "fraud"]},
            ],
        },
    )
    calls: list[str] = []

    def on_fraud(p: Any) -> str:
        calls.append("fraud")
        return "reviewed"

    handlers = {check: lambda p: {"total": p}, fraud: on_fraud, ship: lambda p: p}
    with running_worker(orchestrator, handlers):
        small = wait_run(api, trigger(api, wid, 20))
        big = wait_run(api, trigger(api, wid, 500))
    assert small["status"] == big["status"] == "COMPLETED"
    assert {s["id"]: s["status"] for s in small["steps"]}["fraud"] == "SKIPPED"
    assert small["output"] == {"check": {"total": 20}, "fraud": None}
    assert big["output"] == {"check": {"total": 500}, "fraud": "reviewed"}
    assert calls == ["fraud"]
    types = [e["type"] for e in events(api, small["runId"])]
    assert "STEP_SKIPPED" in types


def test_several_sinks_give_an_object_without_skipped_sinks(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, a = unique("sinks"), unique("a")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "left", "action": a},
                {"id": "right", "action": a, "input": "${input.x}"},
                {"id": "never", "action": a, "when": "input.missing"},
            ],
        },
    )
    with running_worker(orchestrator, {a: lambda p: p}):
        run = wait_run(api, trigger(api, wid, {"x": 2}))
    assert run["output"] == {"left": {"x": 2}, "right": 2}


def test_a_template_that_cannot_be_evaluated_fails_the_step(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, a = unique("badtmpl"), unique("a")
    define(
        api,
        {"id": wid, "steps": [{"id": "s", "action": a, "input": {"n": "${length(input.count)}"}}]},
    )
    run = wait_run(api, trigger(api, wid, {"count": 5}))
    assert run["status"] == "FAILED"
    assert run["error"]["type"] == "ExpressionError" and run["error"]["stepId"] == "s"
    assert run["steps"][0]["status"] == "FAILED"


@pytest.mark.parametrize(
    ("steps", "loc", "text"),
    [
        (
            [
                {"id": "a", "action": "x", "dependsOn": ["c"]},
                {"id": "b", "action": "x", "dependsOn": ["a"]},
                {"id": "c", "action": "x", "dependsOn": ["b"]},
            ],
            ["body", "steps", 0, "dependsOn"],
            "cycle: a -> b -> c -> a",
        ),
        (
            [{"id": "a", "action": "x", "dependsOn": ["zz"]}],
            ["body", "steps", 0, "dependsOn", 0],
            "unknown step",
        ),
        ([{"id": "a", "action": "x"}, {"id": "a", "action": "y"}], ["body", "steps", 1, "id"], "duplicate"),
        (
            [{"id": "a", "action": "x"}, {"id": "b", "action": "x", "input": "${steps.a.output}"}],
            ["body", "steps", 1, "input"],
            "not an ancestor",
        ),
        ([{"id": "a", "action": "x", "when": "input.[["}], ["body", "steps", 0, "when"], "JMESPath"),
        ([{"id": "a", "action": "x", "maxParallel": 2}], ["body", "steps", 0, "maxParallel"], "forEach"),
        ([{"id": "a", "wait": {"seconds": -1}}], ["body", "steps", 0, "wait", "seconds"], "between"),
    ],
)
def test_graph_errors_are_422_naming_the_field(
    api: httpx.Client, steps: list[dict[str, Any]], loc: list[Any], text: str
) -> None:
    r = api.post("/workflow/", json={"id": unique("bad"), "steps": steps})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc
    assert text in r.json()["message"]


def test_schema_is_served_and_is_not_a_workflow(api: httpx.Client) -> None:
    r = api.get("/workflow/schema")
    assert r.status_code == 200
    schema = r.json()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"dependsOn", "input", "when", "forEach", "maxParallel", "wait"} <= set(
        schema["properties"]["steps"]["items"]["properties"]
    )
    assert (
        api.post("/workflow/", json={"id": "schema", "steps": [{"id": "a", "action": "x"}]}).status_code
        == 422
    )


def test_concurrent_results_of_a_join_start_it_once(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, a, j = unique("race"), unique("a"), unique("j")
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "x", "action": a},
                {"id": "y", "action": a},
                {"id": "z", "action": a},
                {"id": "j", "action": j, "dependsOn": ["x", "y", "z"]},
            ],
        },
    )
    seen: list[Any] = []
    lock = threading.Lock()

    def on_join(p: Any) -> Any:
        with lock:
            seen.append(p)
        return "joined"

    runs = [trigger(api, wid, i) for i in range(20)]
    with running_worker(orchestrator, {a: lambda p: p, j: on_join}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "COMPLETED"
    assert len(seen) == 20
