"""A batch item's idempotencyKey is its single trigger's Idempotency-Key: new, replayed across
requests and endpoints, repeated within a batch, reused with another body, in flight, lost by Redis;
and a batch answers every item as the same items sent one by one as single triggers would be."""

import hashlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.api import define, unique
from harness.orchestrator import Orchestrator
from legato.idempotency.keys import KEY_PREFIX, redis_key

pytestmark = pytest.mark.integration

KEY_FIELDS = ("idempotencyKey", "correlationId")


def flow(api: httpx.Client) -> str:
    wid = unique("batch-keys")
    define(api, {"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    return wid


def batch(api: httpx.Client, wid: str, items: list[Any]) -> list[dict[str, Any]]:
    r = api.post(f"/workflow/{wid}/trigger/batch", json=items)
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def keyed(n: Any, key: str) -> dict[str, Any]:
    return {"input": n, "idempotencyKey": key}


def runs(orchestrator: Orchestrator, wid: str) -> int:
    ((n,),) = orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid)
    return int(n)


def test_a_key_is_new_then_replayed_across_requests_and_endpoints(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = flow(api)
    first = batch(api, wid, [keyed(1, "a"), keyed(2, "b")])
    assert [(a["status"], a["replayed"]) for a in first] == [(200, False), (200, False)]
    again = batch(api, wid, [keyed(2, "b"), keyed(1, "a")])
    assert [a["runId"] for a in again] == [first[1]["runId"], first[0]["runId"]]
    assert all(a["replayed"] for a in again)
    # an item and a single trigger with the same key and body are one request sent twice
    single = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "a"})
    assert single.json()["runId"] == first[0]["runId"] and single.headers["Idempotent-Replayed"] == "true"
    made = api.post(f"/workflow/{wid}/trigger", json={"input": 3}, headers={"Idempotency-Key": "c"})
    (item,) = batch(api, wid, [keyed(3, "c")])
    assert (item["runId"], item["replayed"]) == (made.json()["runId"], True)
    # the same key with another body: the single trigger's 422, in the item's answer
    (reused,) = batch(api, wid, [keyed(99, "a")])
    assert reused["status"] == 422 and "different request body" in reused["error"]["detail"]
    assert runs(orchestrator, wid) == 3


def test_a_key_repeated_in_one_batch_is_answered_as_if_sent_one_after_another(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = flow(api)
    results = batch(api, wid, [keyed(1, "k"), keyed(2, "k"), keyed(1, "k"), {"input": 1}, keyed(1, "j")])
    assert [a["status"] for a in results] == [200, 422, 200, 200, 200]
    assert (results[2]["runId"], results[2]["replayed"]) == (results[0]["runId"], True)
    assert results[0]["replayed"] is False and len({results[n]["runId"] for n in (0, 3, 4)}) == 3
    assert runs(orchestrator, wid) == 3
    # the key held for another body before: the later item with that body replays its run
    held = api.post(f"/workflow/{wid}/trigger", json={"input": "A"}, headers={"Idempotency-Key": "h"})
    results = batch(api, wid, [keyed("B", "h"), keyed("A", "h"), keyed("B", "h")])
    assert [a["status"] for a in results] == [422, 200, 422]
    assert (results[1]["runId"], results[1]["replayed"]) == (held.json()["runId"], True)
    assert runs(orchestrator, wid) == 4


def test_a_key_in_flight_is_409_for_its_item_only(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = flow(api)
    fingerprint = hashlib.sha256(orjson.dumps({"input": "x"}, option=orjson.OPT_SORT_KEYS)).hexdigest()
    value = {"fp": fingerprint, "runId": str(uuid.uuid4()), "at": int(time.time() * 1000), "done": False}
    redis.Redis.from_url(orchestrator.env["LEGATO_REDIS_URL"]).set(
        redis_key(wid, "busy"), orjson.dumps(value), ex=600
    )
    results = batch(api, wid, [keyed("x", "busy"), keyed("y", "free"), keyed("x", "busy")])
    assert [a["status"] for a in results] == [409, 200, 409]
    assert results[0]["retryAfter"] == 1 and "still being processed" in results[0]["error"]["detail"]
    assert runs(orchestrator, wid) == 1


def test_postgresql_answers_what_redis_lost(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = flow(api)
    first = batch(api, wid, [keyed({"a": 1, "b": 2}, "k1"), keyed(2, "k2")])
    client = redis.Redis.from_url(orchestrator.env["LEGATO_REDIS_URL"])
    for name in client.scan_iter(f"{KEY_PREFIX}{wid}:*"):  # a flush or failover, for this workflow
        client.delete(name)
    again = batch(api, wid, [keyed({"b": 2, "a": 1}, "k1"), keyed(3, "k2"), keyed(4, "k3")])
    assert [a["status"] for a in again] == [200, 422, 200]
    assert (again[0]["runId"], again[0]["replayed"]) == (first[0]["runId"], True)
    assert runs(orchestrator, wid) == 3
    held = orjson.loads(client.get(redis_key(wid, "k2")) or b"{}")  # put back from the record
    assert (held.get("runId"), held.get("done")) == (first[1]["runId"], True)


def test_concurrent_batches_with_the_same_keys_make_each_run_once(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = flow(api)
    items = [keyed(n, f"same-{n}") for n in range(30)]

    def send(_: int) -> list[dict[str, Any]]:
        with httpx.Client(base_url=orchestrator.url, timeout=30) as c:
            return batch(c, wid, items)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    for n in range(30):
        got = [a[n] for a in answers]
        assert {a["status"] for a in got} <= {200, 409}, got
        assert len({a["runId"] for a in got if a["status"] == 200}) == 1
    assert runs(orchestrator, wid) == 30
    assert all(a["replayed"] for a in batch(api, wid, items))


# ---- a batch is its items sent one by one ------------------------------------------------------

# Mostly valid items sharing few keys and bodies (replays, repeats, reused keys), and invalid ones.
_valid = st.fixed_dictionaries(
    {"input": st.sampled_from([1, 2, {"a": 1}])},
    optional={
        "idempotencyKey": st.sampled_from(["k1", "k2"]),
        "priority": st.sampled_from([1, 5, None]),
        "correlationId": st.just("c"),
    },
)
_invalid = st.sampled_from(
    [
        None,  # a single trigger without a body: valid, its input is null
        {},
        7,
        [1],
        {"input": 1, "extra": True},
        {"input": 1, "priority": 0, "idempotencyKey": "k1"},
        {"input": 1, "priority": "high"},
        {"input": 2, "idempotencyKey": ""},
        {"input": 2, "correlationId": ""},
    ]
)
_item = st.one_of(_valid, _valid, _invalid)


def _single(api: httpx.Client, wid: str, item: Any) -> tuple[int, bool, str | None]:
    """The item sent as a single trigger: its key and correlation id as headers."""
    headers: dict[str, str] = {}
    body = item
    if isinstance(item, dict):
        body = {k: v for k, v in item.items() if k not in KEY_FIELDS}
        for field, header in zip(KEY_FIELDS, ("Idempotency-Key", "X-Correlation-Id"), strict=True):
            if item.get(field) is not None:
                headers[header] = item[field]
    r = api.post(f"/workflow/{wid}/trigger", json=body, headers=headers)
    replayed = r.headers.get("Idempotent-Replayed") == "true"
    return r.status_code, replayed, r.json().get("runId") if r.status_code == 200 else None


def _shape(answers: list[tuple[int, bool, str | None]]) -> list[tuple[int, bool, int | None]]:
    """Each answer's status, replayed, and the index of the first answer with its run."""
    first: dict[str, int] = {}
    return [
        (s, r, None if run is None else first.setdefault(run, n)) for n, (s, r, run) in enumerate(answers)
    ]


@given(items=st.lists(_item, min_size=1, max_size=8))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_batch_answers_as_its_items_sent_one_by_one(
    api: httpx.Client, orchestrator: Orchestrator, items: list[Any]
) -> None:
    batched, one_by_one = flow(api), flow(api)
    results = batch(api, batched, items)
    got = [(a["status"], a.get("replayed", False), a.get("runId")) for a in results]
    expected = [_single(api, one_by_one, item) for item in items]
    assert _shape(got) == _shape(expected), items
    assert runs(orchestrator, batched) == runs(orchestrator, one_by_one)
