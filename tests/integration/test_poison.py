"""One bad message costs one message: poison outputs and results the database refuses never stop
other runs, and /readyz stays ready."""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato_protocol import Result, encode_result, headers

pytestmark = pytest.mark.integration

POISON: dict[str, Any] = {
    "nul": "bad\x00byte",  # text extracted from a PDF
    "nul-key": {"a\x00": 1},
    "bignum": 10**30,  # becomes a float in most JSON stacks: refused, not silently changed
    "deep": None,  # built below: nested 300 levels
}


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def _poisoned(payload: dict[str, Any]) -> Any:
    kind = payload["kind"]
    return _deep(300) if kind == "deep" else POISON[kind]


@contextmanager
def watching_readiness(url: str) -> Iterator[list[int]]:
    """Polls /readyz in the background while the block runs; yields every status seen."""
    seen: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(httpx.get(f"{url}/readyz", timeout=5).status_code)
            stop.wait(0.2)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        yield seen
    finally:
        stop.set()
        t.join(10)


def _produce_result(orch: Orchestrator, result: Result) -> None:
    producer = Producer(orch.kafka_config())
    producer.produce(orch.env["LEGATO_RESULTS_TOPIC"], encode_result(result), result["runId"].encode())
    assert producer.flush(10) == 0


def _raw_result(job_id: Any, run_id: str, status: str, output: str | None, failure: Any = None) -> Result:
    now = int(time.time() * 1000)
    return {
        "jobId": str(job_id),
        "runId": run_id,
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "status": status,  # type: ignore[typeddict-item]
        "output": output,
        "failure": failure,
        "workerId": "test",
        "sdk": "test/0",
        "traceparent": None,
        "correlationId": None,
        "startedAt": now,
        "finishedAt": now,
    }


def test_poison_outputs_fail_their_step_while_other_runs_flow(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    bad_wid, good_wid = unique("poison"), unique("healthy")
    bad_action, good_action = unique("poison-step"), unique("healthy-step")
    define(api, {"id": bad_wid, "steps": [{"action": bad_action, "stepIndex": 0}]})
    define(
        api,
        {
            "id": good_wid,
            "steps": [{"action": good_action, "stepIndex": 0}, {"action": good_action, "stepIndex": 1}],
        },
    )
    with watching_readiness(orchestrator.url) as readiness:
        bad = {kind: trigger(api, bad_wid, {"kind": kind}) for kind in POISON}
        good = [trigger(api, good_wid, n) for n in range(30)]
        handlers = {bad_action: _poisoned, good_action: lambda n: n + 1}
        with running_worker(orchestrator, handlers):
            finished = {run_id: wait_run(api, run_id) for run_id in [*bad.values(), *good]}
    assert [finished[r]["output"] for r in good] == [n + 2 for n in range(30)]
    for kind, run_id in bad.items():
        run = finished[run_id]
        assert run["status"] == "FAILED", (kind, run)
        step = run["steps"][0]
        assert step["attempts"] == 1, (kind, step)  # non-retryable: no second attempt
        assert step["error"]["type"] == "InvalidOutput" and step["error"]["nonRetryable"] is True, (
            kind,
            step,
        )
        assert step["error"]["reason"] == "non-retryable"
    assert "NUL" in finished[bad["nul"]]["steps"][0]["error"]["message"]
    assert "64-bit" in finished[bad["bignum"]]["steps"][0]["error"]["message"]
    assert "deeper" in finished[bad["deep"]]["steps"][0]["error"]["message"]
    assert set(readiness) == {200}, readiness


def test_raw_poison_results_are_admitted_or_cleaned(api: httpx.Client, orchestrator: Orchestrator) -> None:
    """Results straight from the wire: output that is not JSON, failures with NUL and bad details."""
    wid, action = unique("raw"), unique("raw-step")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "retry": {"maxAttempts": 1}}]})
    runs = [trigger(api, wid, n) for n in range(3)]
    jobs: dict[str, Any] = {}

    def dispatched() -> bool:
        rows = orchestrator.sql(
            "SELECT run_id::text, job_id FROM jobs WHERE run_id::text = ANY(%s) AND state = 'DISPATCHED'",
            runs,
        )
        jobs.update(dict(rows))
        return len(jobs) == 3

    until(dispatched, 20, "three dispatched jobs")
    _produce_result(orchestrator, _raw_result(jobs[runs[0]], runs[0], "COMPLETED", "{not json"))
    failure = {
        "type": "Boom\x00",
        "message": "nul \x00 here" + "x" * 10_000,
        "nonRetryable": False,
        "details": '{"a": "\\u0000"}',
        "stackTrace": "at \x00",
    }
    _produce_result(orchestrator, _raw_result(jobs[runs[1]], runs[1], "FAILED", None, failure))
    _produce_result(orchestrator, _raw_result(jobs[runs[2]], runs[2], "COMPLETED", '{"total": 12.50}'))
    first, second, third = (wait_run(api, r) for r in runs)
    assert first["steps"][0]["error"]["type"] == "InvalidOutput"
    assert "not valid JSON" in first["steps"][0]["error"]["message"]
    error = second["steps"][0]["error"]
    assert second["status"] == "FAILED" and error["type"] == "Boom\ufffd"
    assert error["message"].startswith("nul \ufffd here") and len(error["message"]) <= 4096
    assert error["details"] == {
        "invalidDetails": "contains a NUL character (\\u0000), which cannot be stored"
    }
    assert third["status"] == "COMPLETED" and third["output"] == {"total": 12.5}


CURSE = """
CREATE OR REPLACE FUNCTION curse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action = '{action}' AND NEW.status = 'COMPLETED' THEN
    RAISE EXCEPTION 'cursed step' USING ERRCODE = '{errcode}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER curse_{tag} BEFORE UPDATE ON steps FOR EACH ROW EXECUTE FUNCTION curse_{tag}();
"""


def _curse(orch: Orchestrator, action: str, errcode: str) -> str:
    tag = uuid.uuid4().hex[:8]
    orch.sql_script(CURSE.format(tag=tag, action=action, errcode=errcode))
    return tag


def _dead_result_letters(orch: Orchestrator, run_id: str, timeout: float = 20) -> list[dict[str, str]]:
    consumer = Consumer(
        {
            **orch.kafka_config(),
            "group.id": f"test-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([f"{orch.env['LEGATO_RESULTS_TOPIC']}.DLT"])
    found: list[dict[str, str]] = []
    deadline = time.monotonic() + timeout
    try:
        while not found and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            hdrs = {k: (v or b"").decode() for k, v in msg.headers() or []}
            if (msg.key() or b"").decode() == run_id:
                found.append(hdrs)
    finally:
        consumer.close()
    return found


def test_a_result_the_database_refuses_costs_one_message(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    cursed, healthy = unique("cursed-step"), unique("healthy-step")
    bad_wid, good_wid = unique("cursed"), unique("healthy")
    define(
        api,
        {
            "id": bad_wid,
            "steps": [{"action": cursed, "stepIndex": 0, "timeoutSeconds": 3, "retry": {"maxAttempts": 1}}],
        },
    )
    define(api, {"id": good_wid, "steps": [{"action": healthy, "stepIndex": 0}]})
    _curse(orchestrator, cursed, "P0001")  # a plain error, like a bug or a value that slipped through
    with watching_readiness(orchestrator.url) as readiness:
        bad = trigger(api, bad_wid, "x")
        good = [trigger(api, good_wid, n) for n in range(20)]
        with running_worker(orchestrator, {cursed: lambda p: p, healthy: lambda n: n * 2}):
            outputs = [wait_run(api, r)["output"] for r in good]
            letters = _dead_result_letters(orchestrator, bad)
            run = wait_run(api, bad, timeout=30)
    assert outputs == [n * 2 for n in range(20)]
    assert letters and letters[0][headers.DLT_REASON] == "unappliable"
    assert (
        letters[0][headers.ERROR_TYPE] == "RaiseException"
        and "cursed step" in letters[0][headers.ERROR_MESSAGE]
    )
    assert headers.SOURCE_OFFSET in letters[0]
    # The refused result cost only itself: its attempt (which it shows ran) timed out and failed
    # the run by its policy.
    assert run["status"] == "FAILED" and run["steps"][0]["error"]["type"] == "StartToCloseTimeout"
    assert set(readiness) == {200}, readiness
    # the engine's log line about it names the run (docs/observability.md, "Logs")
    assert f"cannot be applied (run_id={bad}" in orchestrator.log_path.read_text(errors="replace")


def test_bad_triggers_fail_alone_in_their_group_commit(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("grouped"), unique("grouped-step")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    tag = uuid.uuid4().hex[:8]
    orchestrator.sql_script(
        f"""
        CREATE OR REPLACE FUNCTION refuse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.input ->> 'poison' = '{tag}' THEN RAISE EXCEPTION 'refused run'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_{tag} BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refuse_{tag}();
        """
    )
    bodies = [{"n": n} if n % 10 else {"poison": tag, "n": n} for n in range(60)]
    answers: dict[int, httpx.Response] = {}

    def send(n: int) -> None:
        with httpx.Client(base_url=orchestrator.url, timeout=30) as client:
            answers[n] = client.post(f"/workflow/{wid}/trigger", json={"input": bodies[n]})

    threads = [threading.Thread(target=send, args=(n,)) for n in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = {n: r.status_code for n, r in answers.items()}
    assert {n for n, c in codes.items() if c == 422} == {n for n in range(60) if n % 10 == 0}, codes
    assert all(c == 200 for n, c in codes.items() if n % 10), codes
    assert "could not be stored" in answers[0].json()["detail"]
    stored = orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid)[0][0]
    assert stored == 54
