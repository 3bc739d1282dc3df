"""Idempotency-Key: replay, 422 on a changed body, 409 while in flight, scoped per workflow."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harness.api import define, unique
from harness.orchestrator import Orchestrator

pytestmark = pytest.mark.integration


def _flow(api: httpx.Client) -> str:
    wid = unique("idem")
    define(api, {"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    return wid


def test_fifty_concurrent_identical_triggers_make_exactly_one_run(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)

    def fire(_: int) -> httpx.Response:
        with httpx.Client(base_url=orchestrator.url, timeout=30) as c:
            return c.post(
                f"/workflow/{wid}/trigger", json={"input": {"n": 1}}, headers={"Idempotency-Key": "same"}
            )

    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(fire, range(50)))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, codes
    run_ids = {r.json()["runId"] for r in responses if r.status_code == 200}
    assert len(run_ids) == 1
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]
    # Once the first request is done, every retry replays it.
    replay = api.post(
        f"/workflow/{wid}/trigger", json={"input": {"n": 1}}, headers={"Idempotency-Key": "same"}
    )
    assert replay.status_code == 200 and replay.json()["runId"] in run_ids
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_same_key_different_body_is_422_and_creates_nothing(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)
    ok = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
    bad = api.post(f"/workflow/{wid}/trigger", json={"input": 2}, headers={"Idempotency-Key": "k"})
    assert ok.status_code == 200
    assert bad.status_code == 422 and "different request body" in bad.json()["detail"]
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]


def test_keys_are_scoped_per_workflow(api: httpx.Client) -> None:
    a, b = _flow(api), _flow(api)
    ra = api.post(f"/workflow/{a}/trigger", json={"input": 1}, headers={"Idempotency-Key": "shared"})
    rb = api.post(f"/workflow/{b}/trigger", json={"input": 1}, headers={"Idempotency-Key": "shared"})
    assert ra.status_code == rb.status_code == 200
    assert ra.json()["runId"] != rb.json()["runId"]


def test_trigger_of_unknown_workflow_leaves_no_key(api: httpx.Client) -> None:
    wid = unique("later")
    r = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
    assert r.status_code == 404
    define(api, {"id": wid, "steps": [{"action": "step1", "stepIndex": 0}]})
    r = api.post(f"/workflow/{wid}/trigger", json={"input": 1}, headers={"Idempotency-Key": "k"})
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers


def _hold(orchestrator: Orchestrator, wid: str, key: str, fingerprint: str, age_ms: int) -> str:
    """Plant the reservation an in-flight (or dead) first request would hold."""
    import time
    import uuid

    import orjson
    import redis

    from legato.idempotency.keys import redis_key

    run_id = str(uuid.uuid4())
    client = redis.Redis.from_url(orchestrator.env["LEGATO_REDIS_URL"])
    value = {"fp": fingerprint, "runId": run_id, "at": int(time.time() * 1000) - age_ms, "done": False}
    client.set(redis_key(wid, key), orjson.dumps(value), ex=600)
    return run_id


def _fingerprint(body: object) -> str:
    import hashlib

    import orjson

    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def test_same_key_while_first_request_in_flight_is_409(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid = _flow(api)
    body = {"input": "x"}
    _hold(orchestrator, wid, "busy", _fingerprint(body), age_ms=0)
    r = api.post(f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": "busy"})
    assert r.status_code == 409
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(0,)]


def test_abandoned_reservation_is_taken_over_with_its_run_id(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)
    body = {"input": "x"}
    reserved = _hold(orchestrator, wid, "dead", _fingerprint(body), age_ms=60_000)
    r = api.post(f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": "dead"})
    assert r.status_code == 200 and r.json()["runId"] == reserved
    again = api.post(f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": "dead"})
    assert again.json()["runId"] == reserved and again.headers["Idempotent-Replayed"] == "true"
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]
