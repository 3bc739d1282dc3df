"""End to end tracing (docs/observability.md, "Traces"): one run is one trace, across the API, the
engine and a worker of every SDK, exported over OTLP/HTTP to a receiver in this test.

The polyglot example (examples/workflows/polyglot.json: hand-python -> hand-node -> hand-java) runs
on an orchestrator of its own, with the example workers of the three SDKs (the ones `make all`
starts). Expected: the trigger's SERVER span; per step, the engine's `send` span, the `process`
span of the one worker that serves its action, and the engine's `process workflow-results` span
of that worker's result, each the child of the one before.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conformance.conformance_harness import WorkerProcess, security_env

from harness.api import unique, wait_run
from harness.orchestrator import Orchestrator
from harness.otlp import OtlpReceiver, Span
from harness.services import require_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / ".legato" / "logs" / "tests"
TRIGGER = "POST /workflow/{workflow_id}/trigger"
WAIT_S = 240.0  # a Java worker starts slowly on a busy machine
# the example worker of each SDK (make python / node / java), and the action it serves here
EXAMPLES = {
    "python": ([sys.executable, str(REPO / "examples/python/worker.py")], "hand-python"),
    "node": (["node", str(REPO / "examples/node/dist/worker.js")], "hand-node"),
    "java": (["java", "-jar", str(REPO / "examples/java/target/legato-example-worker.jar")], "hand-java"),
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def traced(receiver: OtlpReceiver) -> Iterator[Orchestrator]:
    """An orchestrator exporting to the receiver, with the default service names."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, **receiver.env(), LEGATO_LOG_LEVEL="info")
    orch.env.pop("OTEL_SERVICE_NAME", None)
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture(scope="module")
def workers(
    traced: Orchestrator, receiver: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, WorkerProcess]]:
    logs = tmp_path_factory.mktemp("tracing-workers")
    started: dict[str, WorkerProcess] = {}
    try:
        for language, (command, _) in EXAMPLES.items():
            assert Path(command[-1]).is_file(), f"{command[-1]} is missing: run make node-build java-build"
            env = {
                **security_env({**os.environ, **traced.env}),
                **{k: v for k, v in traced.env.items() if k.startswith("LEGATO_") and "TOPIC" in k},
                "LEGATO_KAFKA_BOOTSTRAP_SERVERS": traced.env["LEGATO_KAFKA_BOOTSTRAP_SERVERS"],
                "LEGATO_GROUP_PREFIX": traced.env["LEGATO_GROUP_PREFIX"],
                "LEGATO_JOB_PARTITIONS": traced.env["LEGATO_JOB_PARTITIONS"],
                "LEGATO_WORKER_ID": f"tracing-{language}",
                "LEGATO_SHUTDOWN_TIMEOUT_MS": "5000",
                **receiver.env(f"worker-{language}"),
            }
            started[language] = WorkerProcess(language, env, logs / f"{language}.log", command)
        yield started
    finally:
        for process in started.values():
            process.stop()


def _child(spans: list[Span], parent: Span, **match: str) -> list[Span]:
    return [
        s
        for s in spans
        if s.parent_id == parent.span_id and all(getattr(s, k) == v for k, v in match.items())
    ]


def test_one_run_is_one_trace(
    traced: Orchestrator, receiver: OtlpReceiver, workers: dict[str, WorkerProcess]
) -> None:
    prefix = traced.env["LEGATO_JOBS_TOPIC"]
    results_topic = traced.env["LEGATO_RESULTS_TOPIC"]
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    definition = json.loads((REPO / "examples/workflows/polyglot.json").read_text())
    trigger = json.loads((REPO / "examples/workflows/polyglot.trigger.json").read_text())
    with httpx.Client(base_url=traced.url, timeout=30) as api:
        workflow_id = unique("polyglot")
        r = api.post("/workflow/", json={**definition, "id": workflow_id})
        assert r.status_code == 201, r.text
        r = api.post(
            f"/workflow/{workflow_id}/trigger",
            json=trigger,
            headers={"traceparent": f"00-{trace_id}-{caller_span}-01", "tracestate": "caller=1"},
        )
        assert r.status_code == 200, r.text
        run_id = r.json()["runId"]
        run = wait_run(api, run_id, timeout=WAIT_S)
        assert run["status"] == "COMPLETED", run

    steps = {step["action"]: step for step in run["steps"]}
    assert sorted(steps) == sorted(action for _, action in EXAMPLES.values())
    expected = 1 + 3 * len(steps)

    def complete(spans: list[Span]) -> bool:
        ours = [s for s in spans if s.trace_id == trace_id]
        results = sum(s.name == f"process {results_topic}" for s in ours)
        return results >= len(steps) and len(ours) >= expected

    for name, process in workers.items():
        assert process.alive(), f"the {name} worker exited{process.diagnostics()}"
    try:
        receiver.wait_for(complete, WAIT_S, f"the spans of trace {trace_id}")
    except AssertionError as exc:
        diagnostics = "".join(p.diagnostics() for p in workers.values())
        raise AssertionError(f"{exc}\n{traced.log_tail()}{diagnostics}") from None
    spans = receiver.spans(trace_id)
    assert not receiver.errors, receiver.errors

    # the trigger: a SERVER span continuing the caller's trace
    (server,) = [s for s in spans if s.kind == "SERVER"]
    assert (server.service, server.name, server.parent_id) == ("legato-api", TRIGGER, caller_span)
    assert server.attributes.get("legato.workflow.id") == workflow_id
    assert server.attributes.get("legato.run.id") == run_id

    # one PRODUCER span per job, each a child of the trigger span (the run's stored context); the
    # first job's is the API's (it publishes a trigger's first jobs), the later ones the engine's
    first_action = definition["steps"][0]["action"]
    sends = [s for s in spans if s.kind == "PRODUCER"]
    assert len(sends) == len(steps), [(s.name, s.attributes) for s in sends]
    for language, (_, action) in EXAMPLES.items():
        job_topic = f"{prefix}.{action}"
        (send,) = [s for s in sends if s.attributes.get("legato.action") == action]
        assert (send.service, send.name, send.parent_id) == (
            "legato-api" if action == first_action else "legato-engine",
            f"send {job_topic}",
            server.span_id,
        )
        a = send.attributes
        assert a.get("messaging.system") == "kafka"
        assert a.get("messaging.operation.type") == "send"
        assert a.get("messaging.destination.name") == job_topic
        assert a.get("legato.run.id") == run_id
        assert a.get("legato.step.id") == steps[action]["id"]
        assert a.get("legato.attempt") == 1
        assert a.get("messaging.message.id") == a.get("legato.job.id")
        job_id = a["legato.job.id"]

        # the job: a CONSUMER span in the worker of its language, child of (and linked to) the send
        service = f"worker-{language}"
        (process,) = _child(spans, send)
        assert (process.service, process.kind, process.name) == (service, "CONSUMER", f"process {job_topic}")
        assert (trace_id, send.span_id) in {(x.trace_id, x.span_id) for x in process.links}, process
        assert process.status != "ERROR", process
        a = process.attributes
        assert a.get("messaging.system") == "kafka", (service, a)
        assert a.get("messaging.operation.type") == "process", (service, a)
        assert a.get("messaging.destination.name") == job_topic, (service, a)
        assert a.get("messaging.consumer.group.name") == f"{traced.env['LEGATO_GROUP_PREFIX']}.{action}"
        assert a.get("legato.job.id") == job_id, (service, a)
        assert a.get("legato.run.id") == run_id, (service, a)
        assert a.get("legato.step.id") == steps[action]["id"], (service, a)
        assert a.get("legato.action") == action, (service, a)

        # its result: applied by the engine in a CONSUMER span, child of (and linked to) the worker's
        (result,) = _child(spans, process)
        assert (result.service, result.kind, result.name) == (
            "legato-engine",
            "CONSUMER",
            f"process {results_topic}",
        )
        assert (trace_id, process.span_id) in {(x.trace_id, x.span_id) for x in result.links}
        a = result.attributes
        assert a.get("messaging.destination.name") == results_topic
        assert a.get("messaging.consumer.group.name") == traced.env["LEGATO_ORCHESTRATOR_GROUP"]
        assert a.get("legato.job.id") == job_id
        assert a.get("legato.result.status") == "COMPLETED"

    assert len(spans) == expected, sorted((s.service, s.name) for s in spans)
    # the run's trace context is stored with it
    ((stored,),) = traced.sql("SELECT trace_context FROM runs WHERE run_id = %s", run_id)
    assert stored is not None and stored.startswith(f"00-{trace_id}-{server.span_id}-")
