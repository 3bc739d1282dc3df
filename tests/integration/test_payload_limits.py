"""One payload limit (LEGATO_MAX_PAYLOAD_BYTES), checked at trigger, after rendering templates, on
results, and agreeing with Kafka: a job Kafka refuses fails its step instead of looping."""

from collections.abc import Iterator

import httpx
import pytest
from confluent_kafka import Consumer

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.services import require_stack
from harness.workers import running_worker
from legato_protocol import decode_job

pytestmark = pytest.mark.integration


def test_an_input_over_the_limit_is_413_naming_it(api: httpx.Client) -> None:
    wid = unique("big-input")
    define(api, {"id": wid, "steps": [{"action": unique("a"), "stepIndex": 0}]})
    r = api.post(f"/workflow/{wid}/trigger", json={"input": "x" * 1_000_100})
    assert r.status_code == 413, r.text
    assert r.json()["detail"].startswith("body.input: 1000102 bytes is over the payload limit of 1000000")


@pytest.fixture(scope="module")
def small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestrator]:
    require_stack()
    orch = Orchestrator(tmp_path_factory.mktemp("small"), LEGATO_MAX_PAYLOAD_BYTES="2000")
    orch.start()
    yield orch
    orch.drop()


def test_rendered_inputs_and_results_over_the_limit_fail_their_step(small_limit: Orchestrator) -> None:
    orch = small_limit
    wid, make, use = unique("render"), unique("make"), unique("use")
    steps = [
        {"id": "a", "action": make},
        {
            "id": "b",
            "action": use,
            "dependsOn": ["a"],
            "input": {"x": "${steps.a.output}", "y": "${steps.a.output}"},
        },
    ]
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(api, {"id": wid, "steps": steps})
        assert api.post(f"/workflow/{wid}/trigger", json={"input": "x" * 2000}).status_code == 413
        fits_twice, too_big = trigger(api, wid, 700), trigger(api, wid, 1500)
        huge_result = trigger(api, wid, 5000)
        with running_worker(orch, {make: lambda n: "y" * n, use: lambda p: len(p["x"])}):
            ok, rendered, result = (wait_run(api, r) for r in (fits_twice, too_big, huge_result))
    assert ok["status"] == "COMPLETED" and ok["output"] == 700
    b = rendered["steps"][1]
    assert rendered["status"] == "FAILED" and b["error"]["type"] == "PayloadTooLarge"
    assert "steps.b.input" in b["error"]["message"] and "limit of 2000" in b["error"]["message"]
    a = result["steps"][0]
    assert result["status"] == "FAILED" and a["error"]["type"] == "PayloadTooLarge" and a["attempts"] == 1


def test_a_job_kafka_refuses_fails_its_step_and_is_dead_lettered(tmp_path: "pytest.TempPathFactory") -> None:
    require_stack()
    # A payload limit above what the producer accepts (1 MiB): Kafka itself refuses the job.
    orch = Orchestrator(tmp_path, LEGATO_MAX_PAYLOAD_BYTES="3000000", LEGATO_MAX_BODY_BYTES="4000000")  # type: ignore[arg-type]
    orch.start()
    try:
        wid, action = unique("refused"), unique("refused-step")
        with httpx.Client(base_url=orch.url, timeout=30) as api:
            define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
            run_id = trigger(api, wid, "z" * 1_500_000)  # over what the producer takes (1 MiB)
            small = trigger(api, wid, "fine")
            run = wait_run(api, run_id)
            run["input"] = run["steps"][0]["input"] = "(1.5 MB)"  # keep assertion messages short
            assert api.get("/readyz").status_code == 200
            with running_worker(orch, {action: lambda p: len(p)}):
                assert wait_run(api, small)["output"] == 4
        step = run["steps"][0]
        assert run["status"] == "FAILED" and step["error"]["type"] == "PayloadTooLarge"
        assert "Kafka refused the job" in step["error"]["message"]
        # the publisher's log line names the run (docs/observability.md, "Logs")
        assert f"refused by Kafka for good (run_id={run_id}" in orch.log_path.read_text(errors="replace")
        consumer = Consumer(
            {
                **orch.kafka_config(),
                "group.id": unique("dlt-probe"),
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([f"{orch.env['LEGATO_JOBS_TOPIC']}.DLT"])
        try:
            msg = None
            for _ in range(100):
                msg = consumer.poll(0.2)
                if msg is not None and not msg.error():
                    break
            assert msg is not None and not msg.error()
            hdrs = {k: (v or b"").decode() for k, v in msg.headers() or []}
            assert hdrs["legato-payload-omitted"] == "true" and hdrs["legato-dlt-reason"] == "non-retryable"
            assert decode_job(msg.value())["payload"].startswith('{"legatoPayloadOmitted": true')
        finally:
            consumer.close()
    finally:
        orch.drop()
