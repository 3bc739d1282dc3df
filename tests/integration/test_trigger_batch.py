"""POST /workflow/{id}/trigger/batch: one answer per item, in order, each as its single trigger's;
what concerns the whole request (body, workflow, admission) answered for it; runs that complete."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from jsonschema import Draft202012Validator

from harness.api import define, get_run, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.otlp import OtlpReceiver
from harness.services import require_stack
from harness.waiting import until
from harness.workers import running_worker
from legato.api.models import BatchStarted

pytestmark = pytest.mark.integration

LOGS = Path(__file__).resolve().parents[2] / ".legato" / "logs" / "tests"


def batch(api: httpx.Client, wid: str, items: Any, **headers: str) -> httpx.Response:
    return api.post(f"/workflow/{wid}/trigger/batch", json=items, headers=headers)


def answered(r: httpx.Response) -> list[dict[str, Any]]:
    """The items' answers of a 200, checked against the answer's model and its counts."""
    assert r.status_code == 200, r.text
    BatchStarted.model_validate(r.json())
    body = r.json()
    results: list[dict[str, Any]] = body["results"]
    assert body["started"] == sum(1 for a in results if a.get("replayed") is False)
    assert body["replayed"] == sum(1 for a in results if a.get("replayed") is True)
    assert body["failed"] == sum(1 for a in results if a["status"] != 200)
    return results


def one_step(api: httpx.Client, action: str = "step1", **top: Any) -> str:
    wid = unique("batch")
    define(api, {"id": wid, "steps": [{"id": "work", "action": action}], **top})
    return wid


def count_runs(orchestrator: Orchestrator, wid: str) -> int:
    ((n,),) = orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid)
    return int(n)


def test_each_item_is_answered_in_order_and_one_bad_item_fails_no_other(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = one_step(api)
    over_limit = "x" * 1_000_100  # over LEGATO_MAX_PAYLOAD_BYTES (1,000,000), within the body limit
    body = (
        b'[{"input": {"n": 1}}, {"input": 2, "priority": 9}, {"input": 3, "colour": "red"}, 7,'
        b' {"input": "a\\u0000b"}, {"input": 0.1000000000000000055511151231257827},'
        b' {"input": 4, "idempotencyKey": ""}, {"input": 5, "correlationId": 12},'
        b' {"input": "%s"}, null, {"input": {"n": 6}, "priority": 1, "correlationId": "c-6"}]'
        % over_limit.encode()
    )
    r = api.post(f"/workflow/{wid}/trigger/batch", content=body, headers={"content-type": "application/json"})
    results = answered(r)
    assert [a["status"] for a in results] == [200, 422, 422, 422, 422, 422, 422, 422, 413, 200, 200]
    details = [a.get("error", {}).get("detail", "") for a in results]
    assert "body[1].priority" in details[1]
    assert "body[2]: unknown field(s) ['colour']" in details[2]
    assert "body[3] must be a JSON object" in details[3]
    assert details[4].startswith("body[4].input: contains a NUL character")
    assert details[5].startswith("body[5].input: number") and "round trip" in details[5]
    assert "body[6].idempotencyKey" in details[6] and "body[7].correlationId" in details[7]
    assert "body[8].input" in details[8] and "payload limit" in details[8]
    made = [a["runId"] for a in results if a["status"] == 200]
    assert len(set(made)) == 3 and count_runs(orchestrator, wid) == 3
    null_item, last = get_run(api, results[9]["runId"]), get_run(api, results[10]["runId"])
    assert null_item["input"] is None
    assert (last["input"], last["priority"], last["correlationId"]) == ({"n": 6}, 1, "c-6")


def test_the_answer_is_what_the_openapi_document_declares(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    operation = doc["paths"]["/workflow/{workflow_id}/trigger/batch"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == 1000
    wid = one_step(api)
    r = batch(api, wid, [{"input": 1, "idempotencyKey": "k"}, {"input": 2, "idempotencyKey": "k"}, {}])
    for response in (r, batch(api, unique("never-defined"), [{}])):
        declared = operation["responses"][str(response.status_code)]["content"]["application/json"]
        validator = Draft202012Validator({**declared["schema"], "components": doc["components"]})
        assert not [e.message for e in validator.iter_errors(response.json())]


def test_what_concerns_the_whole_request_is_answered_for_it(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = one_step(api)
    assert batch(api, wid, []).status_code == 422
    too_many = batch(api, wid, [{"input": n} for n in range(1001)])
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["detail"]
    assert batch(api, wid, {"input": 1}).status_code == 422
    assert api.post(f"/workflow/{wid}/trigger/batch").status_code == 422
    malformed = api.post(
        f"/workflow/{wid}/trigger/batch",
        content=b'[{"input": 1}',
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 422
    keyed = batch(api, wid, [{"input": 1}], **{"Idempotency-Key": "k"})
    assert keyed.status_code == 422 and "idempotencyKey" in keyed.json()["detail"]
    assert batch(api, wid, [{"input": 1}], **{"X-Correlation-Id": "c" * 300}).status_code == 422
    over = orjson.dumps([{"input": "z" * 1000}] * 1100)  # the body limit (1 MiB) counts the whole batch
    r = api.post(f"/workflow/{wid}/trigger/batch", content=over, headers={"content-type": "application/json"})
    assert r.status_code == 413
    # nested far deeper than any parser's recursion: the item's 422, not a 5xx
    deep = b'[{"input": ' + b"[" * 1010 + b"]" * 1010 + b'}, {"input": 1}]'
    r = api.post(f"/workflow/{wid}/trigger/batch", content=deep, headers={"content-type": "application/json"})
    assert [a["status"] for a in answered(r)] == [422, 200]
    assert count_runs(orchestrator, wid) == 1
    exactly = batch(api, wid, [{"input": n} for n in range(1000)])
    assert [a["status"] for a in answered(exactly)] == [200] * 1000
    assert count_runs(orchestrator, wid) == 1001


def test_a_batch_is_written_in_one_transaction(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = one_step(api, unique("unserved"))
    items = [{"input": n, **({"idempotencyKey": f"k-{n}"} if n % 2 else {})} for n in range(300)]
    assert [a["status"] for a in answered(batch(api, wid, items))] == [200] * 300
    # more runs than the Batcher takes at once (256), never split: one commit time (now()) for all
    times = orchestrator.sql(
        "SELECT count(*), count(DISTINCT r.created_at), count(k.key), count(DISTINCT k.created_at)"
        " FROM runs r LEFT JOIN idempotency_keys k USING (run_id) WHERE r.workflow_id = %s",
        wid,
    )
    assert times == [(300, 1, 150, 1)]


def test_an_unknown_workflow_is_404_and_claims_no_key(api: httpx.Client) -> None:
    wid = unique("later")
    r = batch(api, wid, [{"input": 1, "idempotencyKey": "k"}, {"bad": 1}])
    assert r.status_code == 404 and wid in r.json()["detail"]
    define(api, {"id": wid, "steps": [{"id": "work", "action": "step1"}]})
    (first, _) = answered(batch(api, wid, [{"input": 1, "idempotencyKey": "k"}, {"bad": 1}]))
    assert (first["status"], first["replayed"]) == (200, False)


def test_runs_of_a_batch_complete_with_their_version_and_metrics(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    action = unique("batched")
    wid = unique("batch-e2e")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    v2 = define(api, {"id": wid, "steps": [{"action": action, "stepIndex": n} for n in range(2)]})
    items = [{"input": {"n": n}, "idempotencyKey": f"order-{n}"} for n in range(20)] + [{"input": {"n": 20}}]
    with running_worker(orchestrator, {action: lambda p: {"n": p["n"] + 1}}):
        results = answered(batch(api, wid, items, **{"X-Correlation-Id": "import-7"}))
        assert [a["status"] for a in results] == [200] * 21
        for n, a in enumerate(results):
            run = wait_run(api, a["runId"], timeout=60)
            assert (run["status"], run["version"], run["output"]) == (
                "COMPLETED",
                v2["version"],
                {"n": n + 2},
            )
            assert run["correlationId"] == "import-7"
    text = api.get("/metrics").text

    def sample(name: str) -> float:
        found = re.search(rf'^{name}\{{workflow="{wid}"\}} (\S+)$', text, re.MULTILINE)
        assert found, name
        return float(found.group(1))

    assert sample("legato_runs_started_total") == 21
    assert sample("legato_trigger_duration_seconds_count") == 21
    again = answered(batch(api, wid, items[:20]))
    assert [a["runId"] for a in again] == [a["runId"] for a in results[:20]]
    assert all(a["replayed"] for a in again)


def test_a_batch_is_admitted_whole_or_refused_whole_with_retry_after(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = one_step(api, unique("unserved"), maxBacklog=5)  # no worker: every run stays waiting
    first = answered(batch(api, wid, [{"input": n, "idempotencyKey": f"a-{n}"} for n in range(8)]))
    assert all(a["status"] == 200 for a in first)  # admitted whole, past the limit by its size

    def refused() -> bool:  # the limit is read with the backlog's next sample (at most 1 s)
        r = batch(api, wid, [{"input": "late"}])
        answers.append(r)
        return r.status_code == 429

    answers: list[httpx.Response] = []
    until(refused, 10, "a batch refused for the workflow's maxBacklog")
    r = answers[-1]
    assert int(r.headers["Retry-After"]) >= 1 and r.json()["scope"] == "workflow"
    stored = count_runs(orchestrator, wid)
    mixed = batch(api, wid, [{"input": 0, "idempotencyKey": "a-0"}, {"input": "new", "idempotencyKey": "b"}])
    assert mixed.status_code == 429 and count_runs(orchestrator, wid) == stored  # nothing stored
    # a batch whose runs were all made before gets them, whatever the backlog
    again = answered(batch(api, wid, [{"input": n, "idempotencyKey": f"a-{n}"} for n in range(8)]))
    assert [a["runId"] for a in again] == [a["runId"] for a in first] and all(a["replayed"] for a in again)
    # the refused key was released: it is new once admitted (here: once the limit is lifted)
    define(api, {"id": wid, "steps": [{"id": "work", "action": "step1"}]})
    until(
        lambda: batch(api, wid, [{"input": "new", "idempotencyKey": "b"}]).status_code == 200, 10, "admitted"
    )
    (b,) = answered(batch(api, wid, [{"input": "new", "idempotencyKey": "b"}]))
    assert b["replayed"] is True and count_runs(orchestrator, wid) == stored + 1


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def traced(receiver: OtlpReceiver) -> Iterator[Orchestrator]:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, **receiver.env())
    orch.start()
    yield orch
    orch.drop()


def test_a_batch_is_one_server_span_and_each_run_continues_it(
    traced: Orchestrator, receiver: OtlpReceiver
) -> None:
    trace_id, caller = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with httpx.Client(base_url=traced.url, timeout=30) as api:
        wid = one_step(api, unique("traced"))
        r = batch(api, wid, [{"input": 1}, {"input": 2}], traceparent=f"00-{trace_id}-{caller}-01")
        run_ids = [a["runId"] for a in answered(r)]
    spans = receiver.wait_for(
        lambda spans: sum(s.trace_id == trace_id and s.kind == "PRODUCER" for s in spans) == 2,
        60,
        "the batch's span and its runs' sends",
    )
    ours = [s for s in spans if s.trace_id == trace_id]
    (server,) = [s for s in ours if s.kind == "SERVER"]
    assert (server.name, server.parent_id) == ("POST /workflow/{workflow_id}/trigger/batch", caller)
    assert server.attributes.get("http.response.status_code") == 200
    sends = [s for s in ours if s.kind == "PRODUCER"]
    assert {s.attributes.get("legato.run.id") for s in sends} == set(run_ids)
    assert all(s.parent_id == server.span_id for s in sends)
    for run_id in run_ids:
        ((stored,),) = traced.sql("SELECT trace_context FROM runs WHERE run_id = %s", run_id)
        assert stored.startswith(f"00-{trace_id}-{server.span_id}-")
