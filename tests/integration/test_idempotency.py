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


# PostgreSQL is the record: whatever Redis lost, a retried request gets the first run or 422.


def _forget_in_redis(orchestrator: Orchestrator, wid: str) -> None:
    """What a Redis flush or failover does to this workflow's keys (only its keys: db 15 is shared)."""
    import redis

    from legato.idempotency.keys import KEY_PREFIX

    client = redis.Redis.from_url(orchestrator.env["LEGATO_REDIS_URL"])
    for name in client.scan_iter(f"{KEY_PREFIX}{wid}:*"):
        client.delete(name)


def _redis_value(orchestrator: Orchestrator, wid: str, key: str) -> dict[str, object] | None:
    import orjson
    import redis

    from legato.idempotency.keys import redis_key

    raw = redis.Redis.from_url(orchestrator.env["LEGATO_REDIS_URL"]).get(redis_key(wid, key))
    return None if raw is None else orjson.loads(raw)  # type: ignore[arg-type]


def _keyed(api: httpx.Client, wid: str, body: object, key: str) -> httpx.Response:
    return api.post(f"/workflow/{wid}/trigger", json=body, headers={"Idempotency-Key": key})


def test_retry_after_redis_lost_the_key_replays_the_run(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)
    first = _keyed(api, wid, {"input": {"a": 1, "b": 2}}, "k")
    assert first.status_code == 200
    run_id = first.json()["runId"]
    _forget_in_redis(orchestrator, wid)
    # The same body with its keys in another order is the same body.
    again = _keyed(api, wid, {"input": {"b": 2, "a": 1}}, "k")
    assert again.status_code == 200, again.text
    assert again.json()["runId"] == run_id and again.headers["Idempotent-Replayed"] == "true"
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]
    # The fast path was put back from the record.
    assert _redis_value(orchestrator, wid, "k") == {
        "fp": _fingerprint({"input": {"a": 1, "b": 2}}),
        "runId": run_id,
        "at": _redis_value(orchestrator, wid, "k")["at"],  # type: ignore[index]
        "done": True,
    }


def test_different_body_after_redis_lost_the_key_is_422(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)
    run_id = _keyed(api, wid, {"input": 1}, "k").json()["runId"]
    _forget_in_redis(orchestrator, wid)
    bad = _keyed(api, wid, {"input": 2}, "k")
    assert bad.status_code == 422 and "different request body" in bad.json()["detail"]
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(1,)]
    # Redis now answers with what PostgreSQL holds: the original body still replays, others 422.
    assert (_redis_value(orchestrator, wid, "k") or {}).get("runId") == run_id
    assert _keyed(api, wid, {"input": 2}, "k").status_code == 422
    same = _keyed(api, wid, {"input": 1}, "k")
    assert same.status_code == 200 and same.json()["runId"] == run_id


def test_key_row_is_written_with_its_run_and_expires_by_the_database_clock(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid = _flow(api)
    run_id = _keyed(api, wid, {"input": 1}, "k").json()["runId"]
    rows = orchestrator.sql(
        "SELECT k.run_id::text, k.fingerprint, k.expires_at - k.created_at, k.created_at = r.created_at"
        " FROM idempotency_keys k JOIN runs r USING (run_id) WHERE k.workflow_id = %s AND k.key = 'k'",
        wid,
    )
    ttl = int(orchestrator.env.get("LEGATO_IDEMPOTENCY_TTL_SECONDS", "86400"))
    assert len(rows) == 1
    got_run, fingerprint, lifetime, same_transaction = rows[0]
    assert (got_run, fingerprint) == (run_id, _fingerprint({"input": 1}))
    assert lifetime.total_seconds() == ttl and same_transaction  # both now() of one transaction

    # Expired by the database's clock (Redis forgot it too): the key is free again, for any body.
    orchestrator.sql_script(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 millisecond'"
        f" WHERE workflow_id = '{wid}'"
    )
    _forget_in_redis(orchestrator, wid)
    fresh = _keyed(api, wid, {"input": 2}, "k")
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["runId"] != run_id
    assert orchestrator.sql(
        "SELECT run_id::text, expires_at > now() FROM idempotency_keys WHERE workflow_id = %s", wid
    ) == [(fresh.json()["runId"], True)]
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(2,)]


def test_one_group_commit_with_repeated_keys_makes_one_run_per_key(orchestrator: Orchestrator) -> None:
    """Triggers.write, set-based: the first of a key makes the run, the rest are answered from it."""
    import psycopg
    from psycopg_pool import ConnectionPool

    from legato.definitions.registry import DefinitionRegistry
    from legato.idempotency.record import KeyReused, Replayed
    from legato.runs.trigger import TriggerRequest, Triggers

    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        wid = _flow(api)
    fp1, fp2 = _fingerprint({"input": 1}), _fingerprint({"input": 2})
    requests = [
        TriggerRequest(wid, 1, idempotency_key="a", fingerprint=fp1),
        TriggerRequest(wid, 1, idempotency_key="a", fingerprint=fp1),
        TriggerRequest(wid, 2, idempotency_key="a", fingerprint=fp2),
        TriggerRequest(wid, 1),
        TriggerRequest(wid, 2, idempotency_key="b", fingerprint=fp2),
    ]
    with ConnectionPool(orchestrator.database_url, min_size=1, max_size=1, open=True) as pool:
        triggers = Triggers(DefinitionRegistry(pool), orchestrator.env["LEGATO_JOBS_TOPIC"], 3600)
        with psycopg.connect(orchestrator.database_url) as conn:
            out = triggers.write(conn, requests)
            again = triggers.write(
                conn, [requests[4], TriggerRequest(wid, 1, idempotency_key="b", fingerprint=fp1)]
            )
    assert out[0] == requests[0].run_id
    assert out[1] == Replayed(requests[0].run_id, 3600)
    assert isinstance(out[2], KeyReused) and out[2].run_id == requests[0].run_id
    assert out[3] == requests[3].run_id and out[4] == requests[4].run_id
    assert isinstance(again[0], Replayed) and again[0].run_id == requests[4].run_id
    assert isinstance(again[1], KeyReused)
    made = orchestrator.sql("SELECT run_id FROM runs WHERE workflow_id = %s", wid)
    assert sorted(r[0] for r in made) == sorted([requests[0].run_id, requests[3].run_id, requests[4].run_id])


def test_a_run_id_written_again_answers_run_already_exists_and_spares_its_group(
    orchestrator: Orchestrator,
) -> None:
    """A group written again after an outage hid its commit (runs.batcher): the run that exists is
    answered as made once, and the rest of its group is still written."""
    import psycopg
    from psycopg_pool import ConnectionPool

    from legato.definitions.registry import DefinitionRegistry
    from legato.runs.trigger import RunAlreadyExists, TriggerRequest, Triggers

    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        wid = _flow(api)
    made, fresh = TriggerRequest(wid, 1), TriggerRequest(wid, 2)
    with ConnectionPool(orchestrator.database_url, min_size=1, max_size=1, open=True) as pool:
        triggers = Triggers(DefinitionRegistry(pool), orchestrator.env["LEGATO_JOBS_TOPIC"], 3600)
        with psycopg.connect(orchestrator.database_url) as conn:
            assert triggers.write(conn, [made]) == [made.run_id]
            alone = triggers.write(conn, [made])
            grouped = triggers.write(conn, [made, fresh])
    assert isinstance(alone[0], RunAlreadyExists) and isinstance(grouped[0], RunAlreadyExists)
    assert grouped[1] == fresh.run_id
    runs = orchestrator.sql("SELECT run_id, input::text FROM runs WHERE workflow_id = %s ORDER BY input", wid)
    assert runs == [(made.run_id, "1"), (fresh.run_id, "2")]
    created = "SELECT count(*) FROM run_events WHERE run_id = %s AND type = 'RUN_CREATED'"
    assert orchestrator.sql(created, made.run_id) == [(1,)]  # the writes that failed left nothing


def test_delete_expired_takes_small_batches_and_spares_live_keys(orchestrator: Orchestrator) -> None:
    import psycopg

    from legato.idempotency.record import delete_expired

    wid = unique("expiring")
    orchestrator.sql_script(
        "INSERT INTO idempotency_keys (workflow_id, key, fingerprint, run_id, expires_at)"
        f" SELECT '{wid}', 'old' || n, 'f', gen_random_uuid(), now() - interval '1 second'"
        " FROM generate_series(1, 5) AS n;"
        "INSERT INTO idempotency_keys (workflow_id, key, fingerprint, run_id, expires_at)"
        f" VALUES ('{wid}', 'live', 'f', gen_random_uuid(), now() + interval '1 hour')"
    )
    with psycopg.connect(orchestrator.database_url, autocommit=True) as conn:
        # at most a batch each time (the engine's own sweep may take some of them meanwhile)
        while deleted := delete_expired(conn, 2):
            assert deleted <= 2
    assert orchestrator.sql("SELECT key FROM idempotency_keys WHERE workflow_id = %s", wid) == [("live",)]


def test_a_refused_keyed_trigger_leaves_its_key_free_and_its_group_exact(
    api: httpx.Client, orchestrator: Orchestrator
) -> None:
    """A group commit split one by one (a run the database refuses): keys follow their runs."""
    import uuid

    wid = _flow(api)
    tag = uuid.uuid4().hex[:8]
    orchestrator.sql_script(
        f"""
        CREATE FUNCTION refuse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.input ->> 'poison' = '{tag}' THEN RAISE EXCEPTION 'refused run'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_{tag} BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refuse_{tag}();
        """
    )
    bodies = [{"input": {"poison": tag} if n % 5 == 0 else {"n": n}} for n in range(30)]

    def fire(n: int) -> httpx.Response:
        with httpx.Client(base_url=orchestrator.url, timeout=30) as c:
            return c.post(f"/workflow/{wid}/trigger", json=bodies[n], headers={"Idempotency-Key": f"k{n}"})

    with ThreadPoolExecutor(30) as pool:
        first = list(pool.map(fire, range(30)))
    assert [r.status_code for r in first] == [422 if n % 5 == 0 else 200 for n in range(30)]
    keys = orchestrator.sql("SELECT key, run_id::text FROM idempotency_keys WHERE workflow_id = %s", wid)
    made = {f"k{n}": r.json()["runId"] for n, r in enumerate(first) if r.status_code == 200}
    assert dict(keys) == made
    with ThreadPoolExecutor(30) as pool:
        again = list(pool.map(fire, range(30)))
    assert {f"k{n}": r.json()["runId"] for n, r in enumerate(again) if r.status_code == 200} == made
    assert all(r.status_code == 422 for n, r in enumerate(again) if n % 5 == 0)
    assert orchestrator.sql("SELECT count(*) FROM runs WHERE workflow_id = %s", wid) == [(24,)]
