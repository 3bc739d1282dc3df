"""End to end tracing (docs/observability.md, "Traces"): one run is one trace, across the API, the
engine and a worker of every SDK, exported over OTLP/HTTP to a receiver in this test.

A 3-step workflow (a -> b -> c, action `echo`) runs on an orchestrator of its own. The conformance
worker of each SDK (LEGATO_CONFORMANCE_SDKS=python,node,java; default all three) reads the job
topics in a consumer group of its own, so every job is handled by every worker: each step's
`send` span gets a `process` child from each SDK, and each of their results a `process
workflow-results` child in the engine. The first result of a step moves the run on; the others are
results that lost (applied as ignored), and they are traced too.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conformance.conformance_harness import LANGUAGES, WorkerProcess, run_worker_path, security_env

from harness.api import unique, wait_run
from harness.orchestrator import Orchestrator
from harness.otlp import OtlpReceiver, Span
from harness.services import require_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"
TRIGGER = "POST /workflow/{workflow_id}/trigger"
STEPS = ("a", "b", "c")
WAIT_S = 240.0  # a Java worker may build its SDK first


def _languages() -> list[str]:
    raw = os.environ.get("LEGATO_CONFORMANCE_SDKS", "")
    chosen = [s.strip() for s in raw.split(",") if s.strip()] or list(LANGUAGES)
    assert set(chosen) <= set(LANGUAGES), f"LEGATO_CONFORMANCE_SDKS: unknown {set(chosen) - set(LANGUAGES)}"
    return chosen


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
        for language in _languages():
            script = run_worker_path(language)
            assert script.is_file() and os.access(script, os.X_OK), f"{script} is missing"
            env = {
                **security_env({**os.environ, **traced.env}),
                "LEGATO_KAFKA_BOOTSTRAP_SERVERS": traced.env["LEGATO_KAFKA_BOOTSTRAP_SERVERS"],
                "LEGATO_JOBS_TOPIC": traced.env["LEGATO_JOBS_TOPIC"],
                "LEGATO_RESULTS_TOPIC": traced.env["LEGATO_RESULTS_TOPIC"],
                "LEGATO_CONTROL_TOPIC": traced.env["LEGATO_CONTROL_TOPIC"],
                # a group of its own per SDK: every worker reads every job (from the earliest offset)
                "LEGATO_GROUP_PREFIX": f"{traced.env['LEGATO_GROUP_PREFIX']}-{language}",
                "LEGATO_JOB_PARTITIONS": traced.env["LEGATO_JOB_PARTITIONS"],
                "LEGATO_WORKER_ID": f"tracing-{language}",
                "LEGATO_SHUTDOWN_TIMEOUT_MS": "5000",
                **receiver.env(f"worker-{language}"),
            }
            started[language] = WorkerProcess(language, env, logs / f"{language}.log")
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
    job_topic = f"{prefix}.echo"
    languages = list(workers)
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    with httpx.Client(base_url=traced.url, timeout=30) as api:
        workflow_id = unique("traced")
        steps = [
            {"id": step, "action": "echo", **({"dependsOn": [STEPS[n - 1]]} if n else {})}
            for n, step in enumerate(STEPS)
        ]
        r = api.post("/workflow/", json={"id": workflow_id, "steps": steps})
        assert r.status_code == 201, r.text
        r = api.post(
            f"/workflow/{workflow_id}/trigger",
            json={"input": "traced"},
            headers={"traceparent": f"00-{trace_id}-{caller_span}-01", "tracestate": "caller=1"},
        )
        assert r.status_code == 200, r.text
        run_id = r.json()["runId"]
        run = wait_run(api, run_id, timeout=WAIT_S)
        assert run["status"] == "COMPLETED", run

    per_step = len(languages)
    expected = 1 + len(STEPS) + 2 * len(STEPS) * per_step

    def complete(spans: list[Span]) -> bool:
        ours = [s for s in spans if s.trace_id == trace_id]
        workers_done = all(
            sum(s.service == f"worker-{lang}" for s in ours) >= len(STEPS) for lang in languages
        )
        results = sum(s.name == f"process {results_topic}" for s in ours)
        return workers_done and results >= len(STEPS) * per_step and len(ours) >= expected

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

    # one PRODUCER span per job, each a child of the trigger span (the run's stored context)
    sends = [s for s in spans if s.kind == "PRODUCER"]
    assert len(sends) == len(STEPS), [(s.name, s.attributes) for s in sends]
    by_step = {s.attributes.get("legato.step.id"): s for s in sends}
    assert sorted(by_step) == sorted(STEPS)
    for send in sends:
        assert (send.service, send.name, send.parent_id) == (
            "legato-engine",
            f"send {job_topic}",
            server.span_id,
        )
        a = send.attributes
        assert a.get("messaging.system") == "kafka"
        assert a.get("messaging.operation.type") == "send"
        assert a.get("messaging.destination.name") == job_topic
        assert a.get("legato.run.id") == run_id
        assert a.get("legato.action") == "echo"
        assert a.get("legato.attempt") == 1
        assert a.get("messaging.message.id") == a.get("legato.job.id")

    # each job: a CONSUMER span in every worker, child of (and linked to) its send span; and each
    # of their results a `process workflow-results` span in the engine, child of the worker's span
    for step, send in by_step.items():
        job_id = send.attributes["legato.job.id"]
        for lang in languages:
            service = f"worker-{lang}"
            found = _child(spans, send, service=service)
            assert len(found) == 1, f"{service}, step {step}: {found}"
            process = found[0]
            assert (process.kind, process.name) == ("CONSUMER", f"process {job_topic}"), process
            assert (trace_id, send.span_id) in {(x.trace_id, x.span_id) for x in process.links}, process
            assert process.status != "ERROR", process
            a = process.attributes
            assert a.get("messaging.system") == "kafka", (service, a)
            assert a.get("messaging.operation.type") == "process", (service, a)
            assert a.get("messaging.destination.name") == job_topic, (service, a)
            assert (
                a.get("messaging.consumer.group.name") == f"{traced.env['LEGATO_GROUP_PREFIX']}-{lang}.echo"
            )
            assert a.get("legato.job.id") == job_id, (service, a)
            assert a.get("legato.run.id") == run_id, (service, a)
            assert a.get("legato.step.id") == step, (service, a)
            assert a.get("legato.action") == "echo", (service, a)

            applied = _child(spans, process, service="legato-engine")
            assert len(applied) == 1, f"results of {service}, step {step}: {applied}"
            result = applied[0]
            assert (result.kind, result.name) == ("CONSUMER", f"process {results_topic}"), result
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
