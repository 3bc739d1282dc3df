"""The test kit: data between steps, conditions, maps, retries and the run's output, as the server."""

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from legato_protocol import headers
from legato_worker import ApplicationError, NonRetryableError
from legato_worker.testing import DefinitionError, RunFailed, TestEnvironment

pytestmark = pytest.mark.unit


def echo(payload: Any) -> Any:
    return payload


def test_default_inputs_templates_and_a_single_sinks_output() -> None:
    env = TestEnvironment()
    env.register("echo", echo)
    env.register("add", lambda p: {"sum": p["a"]["n"] + p["b"]["n"]})
    wf = {
        "id": "join",
        "steps": [
            {"id": "a", "action": "echo"},
            {"id": "b", "action": "echo", "input": {"n": "${input.m}"}},
            {"id": "sum", "action": "add", "dependsOn": ["a", "b"]},
        ],
    }
    run = env.start(wf, input={"n": 2, "m": 5})
    assert run.status == "COMPLETED"
    assert run.steps["sum"].input == {"a": {"n": 2, "m": 5}, "b": {"n": 5}}  # several deps: by id
    assert run.result() == {"sum": 7}  # the single sink's output


def test_when_skips_a_step_its_dependants_get_null_and_sinks_make_an_object() -> None:
    env = TestEnvironment()
    env.register("echo", echo)
    wf = {
        "id": "branches",
        "steps": [
            {"id": "a", "action": "echo"},
            {"id": "big", "action": "echo", "dependsOn": ["a"], "when": "input.total > `100`"},
            {"id": "after", "action": "echo", "dependsOn": ["big"]},
            {"id": "small", "action": "echo", "dependsOn": ["a"], "when": "input.total <= `100`"},
        ],
    }
    run = env.start(wf, input={"total": 7})
    assert run.steps["big"].status == "SKIPPED"
    assert run.steps["after"].input is None  # a skipped dependency's output is null
    assert run.output == {"after": None, "small": {"total": 7}}  # skipped sinks are left out
    skipped = next(e for e in run.history if e["type"] == "STEP_SKIPPED")
    assert skipped["data"] == {"when": "input.total > `100`"}


def test_a_map_collects_outputs_in_order_and_continue_leaves_null_for_a_dead_item() -> None:
    env = TestEnvironment()

    def square(n: int) -> int:
        if n < 0:
            raise NonRetryableError("negative", type="Negative")
        return n * n

    env.register("square", square)
    wf = {
        "id": "map",
        "steps": [
            {
                "id": "sq",
                "action": "square",
                "forEach": "input",
                "maxParallel": 2,
                "onItemFailure": "continue",
            }
        ],
    }
    run = env.start(wf, input=[1, -2, 3, 4])
    assert run.result() == [1, None, 9, 16]
    assert [i["status"] for i in run.steps["sq"].items] == [
        "COMPLETED",
        "DEAD_LETTERED",
        "COMPLETED",
        "COMPLETED",
    ]
    assert run.event_types.count("ITEM_COMPLETED") == 3
    assert run.event_types.count("ITEM_DEAD_LETTERED") == 1


def test_a_map_fails_fast_by_default() -> None:
    env = TestEnvironment()
    env.register("square", lambda n: n * n if n >= 0 else (_ for _ in ()).throw(NonRetryableError("neg")))
    wf = {"id": "map", "steps": [{"id": "sq", "action": "square", "forEach": "input", "maxParallel": 1}]}
    run = env.start(wf, input=[1, -2, 3])
    assert run.status == "FAILED"
    assert run.steps["sq"].status == "DEAD_LETTERED"
    assert run.steps["sq"].items[2]["status"] == "PENDING"  # never dispatched
    with pytest.raises(RunFailed) as failed:
        run.result()
    assert failed.value.error["stepId"] == "sq" and failed.value.error["item"] == 1


def test_retries_follow_the_policy_delays_on_the_virtual_clock() -> None:
    env = TestEnvironment()
    calls: list[int] = []

    def flaky(payload: Any, ctx: Any) -> Any:
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ApplicationError("try again", type="Busy")
        return "ok"

    env.register("flaky", flaky)
    start = env.now
    retry = {"maxAttempts": 4, "initialDelayMs": 1000, "backoffCoefficient": 3}
    run = env.start({"id": "r", "steps": [{"id": "s", "action": "flaky", "retry": retry}]})
    assert run.result() == "ok"
    assert calls == [1, 2, 3] and run.steps["s"].attempts == 3
    assert env.now - start == timedelta(seconds=1 + 3)  # 1 s, then 3 s: time skipped
    scheduled = [e["data"].get("delayMs") for e in run.history if e["type"] == "STEP_SCHEDULED"]
    assert scheduled == [None, 1000, 3000]
    assert run.event_types.count("STEP_FAILED") == 2


def test_non_retryable_errors_by_policy_and_by_the_sdk() -> None:
    env = TestEnvironment()
    env.register("declined", lambda p: (_ for _ in ()).throw(ApplicationError("no", type="CardDeclined")))
    env.register("refused", lambda p: (_ for _ in ()).throw(NonRetryableError("never")))
    retry = {"nonRetryableErrors": ["CardDeclined"]}
    by_policy = env.start({"id": "p", "steps": [{"id": "s", "action": "declined", "retry": retry}]})
    by_sdk = env.start({"id": "q", "steps": [{"id": "s", "action": "refused"}]})
    for run in (by_policy, by_sdk):
        assert run.status == "FAILED" and run.steps["s"].attempts == 1
        assert run.steps["s"].status == "DEAD_LETTERED"
        assert run.error["reason"] == headers.REASON_NON_RETRYABLE
    assert by_policy.error["type"] == "CardDeclined"
    assert "STEP_DEAD_LETTERED" in by_sdk.event_types and by_sdk.event_types[-1] == "RUN_FAILED"


def test_exhausted_retries_fail_the_run_with_the_last_error() -> None:
    env = TestEnvironment()
    env.register("boom", lambda p: (_ for _ in ()).throw(RuntimeError("down")))
    run = env.start({"id": "x", "steps": [{"id": "s", "action": "boom"}]})  # default: 4 attempts, 1 s
    assert run.steps["s"].attempts == 4
    assert (run.error["type"], run.error["message"], run.error["attempt"]) == ("RuntimeError", "down", 4)
    assert env.now.second == 3


class Order(BaseModel):
    total: float


def test_typed_handlers_and_invalid_payloads() -> None:
    env = TestEnvironment()

    def double(order: Order) -> Order:
        return Order(total=order.total * 2)

    env.register("double", double)
    wf = {"id": "t", "steps": [{"id": "d", "action": "double"}]}
    assert env.start(wf, input={"total": "2"}).result() == {"total": 4.0}
    bad = env.start(wf, input={"total": "x"})
    assert bad.error["type"] == "InvalidPayload" and bad.steps["d"].attempts == 1
    assert bad.error["message"].startswith("input: total:")


def test_an_expression_error_fails_the_step_without_a_job() -> None:
    env = TestEnvironment()
    env.register("echo", echo)
    wf = {"id": "e", "steps": [{"id": "m", "action": "echo", "forEach": "input.items"}]}
    run = env.start(wf, input={"items": "not a list"})
    assert run.status == "FAILED" and run.error["type"] == "ExpressionError"
    assert "STEP_SCHEDULED" not in run.event_types


def test_a_definition_the_server_refuses_is_refused_the_same_way() -> None:
    env = TestEnvironment()
    wf = {"id": "bad", "steps": [{"id": "a", "action": "x", "dependsOn": ["nope"]}]}
    with pytest.raises(DefinitionError) as refused:
        env.start(wf)
    assert refused.value.loc == ("steps", 0, "dependsOn", 0)


def test_builders_with_to_dict_and_versions() -> None:
    class Built:
        def __init__(self, action: str) -> None:
            self.action = action

        def to_dict(self) -> dict[str, Any]:
            return {"id": "built", "steps": [{"id": "a", "action": self.action}]}

    env = TestEnvironment()
    env.register("echo", echo)
    env.register("upper", lambda s: s.upper())
    assert env.define(Built("echo")) == {"id": "built", "version": 1}
    assert env.define(Built("echo")) == {"id": "built", "version": 1}
    run = env.start(Built("upper"), input="hi")
    assert (run.version, run.result()) == (2, "HI")
    assert env.start("built", input="x").version == 2


def test_a_missing_handler_is_named() -> None:
    env = TestEnvironment()
    with pytest.raises(LookupError, match="no handler for action 'ghost'"):
        env.start({"id": "g", "steps": [{"id": "a", "action": "ghost"}]})


def test_heartbeat_details_reach_the_retry() -> None:
    env = TestEnvironment()
    seen: list[Any] = []

    def resumable(payload: Any, ctx: Any) -> Any:
        seen.append(ctx.last_heartbeat_details)
        ctx.heartbeat({"done": 5 * ctx.attempt})
        if ctx.attempt == 1:
            raise RuntimeError("crashed")
        return "done"

    env.register("resumable", resumable)
    assert env.start({"id": "h", "steps": [{"id": "a", "action": "resumable"}]}).result() == "done"
    assert seen == [None, {"done": 5}]
