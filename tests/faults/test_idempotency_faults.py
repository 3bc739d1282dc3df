"""Idempotency-Key across failures: PostgreSQL is the record, so no failure makes a second run.

A commit whose reply is lost, a reservation taken over while its first request is alive and then
fails (with Redis losing the key meanwhile), and Redis down: every retry gets the first run, or
422 for another body.
"""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
import redis
from pg_proxy import CommitLosingProxy

from harness.api import define, unique
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack
from harness.waiting import until
from legato.idempotency.keys import KEY_PREFIX, redis_key

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"


def _start(orch: Orchestrator) -> Orchestrator:
    LOGS.mkdir(parents=True, exist_ok=True)
    orch.start()
    return orch


@pytest.fixture
def proxied() -> Iterator[tuple[CommitLosingProxy, Orchestrator]]:
    """An orchestrator whose every database connection goes through a CommitLosingProxy."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS)
    host_port = orch.database_url.split("@", 1)[1].split("/", 1)[0]
    proxy = CommitLosingProxy(int(host_port.rsplit(":", 1)[1]))
    orch.env["LEGATO_DATABASE_URL"] = orch.database_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    _start(orch)
    yield proxy, orch
    orch.drop()
    proxy.close()


def _flow(api: httpx.Client) -> str:
    wid = unique("idem-fault")
    define(api, {"id": wid, "steps": [{"action": unique("a"), "stepIndex": 0}]})
    return wid


def _keyed(url: str, wid: str, body: object, key: str, correlation: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key}
    if correlation:
        headers["X-Correlation-Id"] = correlation
    with httpx.Client(base_url=url, timeout=60) as c:
        return c.post(f"/workflow/{wid}/trigger", json=body, headers=headers)


def _runs(orch: Orchestrator, wid: str) -> list[str]:
    return [r[0] for r in orch.sql("SELECT run_id::text FROM runs WHERE workflow_id = %s", wid)]


def test_commit_reply_lost_then_retry_gets_the_same_run(
    proxied: tuple[CommitLosingProxy, Orchestrator],
) -> None:
    proxy, orch = proxied
    with httpx.Client(base_url=orch.url, timeout=60) as api:
        wid = _flow(api)
    proxy.arm(b"INSERT INTO idempotency_keys")
    lost = _keyed(orch.url, wid, {"input": 1}, "k")
    # The orchestrator could not tell whether its transaction committed: it wrote the trigger again
    # (runs.batcher), found the key it had claimed, and answers with the run that did commit.
    assert lost.status_code == 200, lost.text
    assert proxy.commits_lost == 1
    [run_id] = _runs(orch, wid)  # it did commit, once
    assert lost.json()["runId"] == run_id

    retry = _keyed(orch.url, wid, {"input": 1}, "k")
    assert retry.status_code == 200, retry.text
    assert retry.json()["runId"] == run_id and retry.headers["Idempotent-Replayed"] == "true"
    other = _keyed(orch.url, wid, {"input": 2}, "k")
    assert other.status_code == 422
    assert _runs(orch, wid) == [run_id]


# Gates the test holds (advisory locks) that a slow trigger's run insert waits on.
GATES = """
CREATE FUNCTION legato_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.correlation_id = 'first' THEN
    PERFORM pg_advisory_xact_lock(901);
    RAISE EXCEPTION 'the first request fails after its reservation was taken over';
  ELSIF NEW.correlation_id = 'second' THEN
    PERFORM pg_advisory_xact_lock(902);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER legato_test_gate AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION legato_test_gate();
"""


def _waiting(orch: Orchestrator, locktype: str, advisory: int | None = None) -> int:
    """Backends of the orchestrator's database waiting for a lock of this type (or this gate)."""
    query = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE NOT l.granted AND l.locktype = %s AND a.datname = current_database()"
    )
    if advisory is None:
        return int(orch.sql(query, locktype)[0][0])
    return int(orch.sql(query + " AND l.objid = %s", locktype, advisory)[0][0])


def test_reservation_taken_over_while_first_request_fails_makes_one_run(
    fresh_orchestrator: Orchestrator,
) -> None:
    orch = fresh_orchestrator
    orch.sql_script(GATES)
    client = redis.Redis.from_url(orch.env["LEGATO_REDIS_URL"])
    with httpx.Client(base_url=orch.url, timeout=60) as api:
        wid = _flow(api)
    body = {"input": {"order": 7}}
    rkey = redis_key(wid, "k")
    with (
        psycopg.connect(orch.database_url, autocommit=True) as gates,
        ThreadPoolExecutor(3) as pool,
    ):
        gates.execute("SELECT pg_advisory_lock(901), pg_advisory_lock(902)")

        def fire(correlation: str) -> "Future[httpx.Response]":
            return pool.submit(_keyed, orch.url, wid, body, "k", correlation)

        first = fire("first")  # reserves the key in Redis, claims it in PostgreSQL, then hangs
        until(lambda: _waiting(orch, "advisory", 901) == 1, 30, "first request inside its transaction")
        held = orjson.loads(client.get(rkey))  # type: ignore[arg-type]
        # Its reservation looks abandoned (older than STALE_RESERVATION_MS): the next request takes over.
        client.set(rkey, orjson.dumps({**held, "at": 0}), keepttl=True)
        second = fire("second")
        until(lambda: _waiting(orch, "transactionid") == 1, 30, "second request waiting for the first's key")

        gates.execute("SELECT pg_advisory_unlock(901)")  # the first request fails
        failed = first.result(60)
        assert failed.status_code == 422, failed.text  # the database refused its run
        until(lambda: _waiting(orch, "advisory", 902) == 1, 30, "second request inside its transaction")
        # Redis loses the key meanwhile (the first request's release, a flush, a failover).
        for name in client.scan_iter(f"{KEY_PREFIX}{wid}:*"):
            client.delete(name)
        third = fire("third")
        until(lambda: _waiting(orch, "transactionid") == 1, 30, "third request waiting for the second's key")
        gates.execute("SELECT pg_advisory_unlock(902)")
        second_r, third_r = second.result(60), third.result(60)

    assert second_r.status_code == 200, second_r.text
    assert second_r.json()["runId"] == held["runId"]  # the taken-over reservation's run id
    assert third_r.status_code == 200, third_r.text
    assert third_r.json()["runId"] == held["runId"] and third_r.headers["Idempotent-Replayed"] == "true"
    assert _runs(orch, wid) == [held["runId"]]


# Holds the COMMIT of the gated request's transaction (a deferred trigger runs at commit time).
COMMIT_GATE = """
CREATE FUNCTION legato_test_commit_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.correlation_id = 'gated' THEN
    PERFORM pg_advisory_xact_lock(903);
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER legato_test_commit_gate AFTER INSERT ON runs
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION legato_test_commit_gate();
"""


def test_orchestrator_killed_while_committing_then_retry_gets_the_run(
    fresh_orchestrator: Orchestrator,
) -> None:
    orch = fresh_orchestrator
    orch.sql_script(COMMIT_GATE)
    with httpx.Client(base_url=orch.url, timeout=60) as api:
        wid = _flow(api)
    body = {"input": "pay"}
    with (
        psycopg.connect(orch.database_url, autocommit=True) as gates,
        ThreadPoolExecutor(1) as pool,
    ):
        gates.execute("SELECT pg_advisory_lock(903)")
        first = pool.submit(_keyed, orch.url, wid, body, "k", "gated")
        until(lambda: _waiting(orch, "advisory", 903) == 1, 30, "first request committing")
        orch.kill()  # kill -9: the orchestrator never hears how its COMMIT ended
        gates.execute("SELECT pg_advisory_unlock(903)")
        with pytest.raises(httpx.TransportError):
            first.result(60)
    until(lambda: len(_runs(orch, wid)) == 1, 30, "the orphaned transaction committed")
    [run_id] = _runs(orch, wid)
    orch.start()

    # Redis still holds the dead request's unfinished reservation: 409 until it is stale, then
    # the retry takes it over and PostgreSQL answers with the committed run.
    answers: list[httpx.Response] = []

    def retried() -> bool:
        answers.append(_keyed(orch.url, wid, body, "k"))
        return answers[-1].status_code != 409

    until(retried, 30, "retry accepted")
    assert answers[-1].status_code == 200, answers[-1].text
    assert answers[-1].json()["runId"] == run_id and answers[-1].headers["Idempotent-Replayed"] == "true"
    assert {r.headers.get("Retry-After") for r in answers[:-1]} <= {"1"}
    # And once Redis has lost everything of the workflow, the record still answers.
    client = redis.Redis.from_url(orch.env["LEGATO_REDIS_URL"])
    for name in client.scan_iter(f"{KEY_PREFIX}{wid}:*"):
        client.delete(name)
    assert _keyed(orch.url, wid, body, "k").json()["runId"] == run_id
    assert _keyed(orch.url, wid, {"input": "other"}, "k").status_code == 422
    assert _runs(orch, wid) == [run_id]


@pytest.fixture
def private_redis() -> Iterator[tuple[PrivateStack, Orchestrator]]:
    """An orchestrator on the shared PostgreSQL and Kafka, and a Redis of its own to stop."""
    require_stack()
    stack = PrivateStack()
    stack.start("redis")
    orch = _start(Orchestrator(LOGS, redis_url=stack.redis_url))
    yield stack, orch
    orch.drop()
    stack.destroy()


def test_keyed_triggers_work_with_redis_down_and_stay_exact(
    private_redis: tuple[PrivateStack, Orchestrator],
) -> None:
    stack, orch = private_redis
    with httpx.Client(base_url=orch.url, timeout=60) as api:
        wid = _flow(api)
        before = _keyed(orch.url, wid, {"input": 0}, "before")
        assert before.status_code == 200
        stack.stop("redis")
        until(lambda: api.get("/readyz").status_code == 503, 30, "Redis reported down")

    first = _keyed(orch.url, wid, {"input": 1}, "k")
    assert first.status_code == 200, first.text
    run_id = first.json()["runId"]
    with ThreadPoolExecutor(10) as pool:
        again = list(pool.map(lambda _: _keyed(orch.url, wid, {"input": 1}, "k"), range(10)))
    assert {(r.status_code, r.json()["runId"], r.headers.get("Idempotent-Replayed")) for r in again} == {
        (200, run_id, "true")
    }
    assert _keyed(orch.url, wid, {"input": 2}, "k").status_code == 422
    # A key made while Redis was up is known to PostgreSQL too.
    replay = _keyed(orch.url, wid, {"input": 0}, "before")
    assert replay.status_code == 200 and replay.json()["runId"] == before.json()["runId"]

    # Concurrent first requests of a new key without Redis: PostgreSQL lets one make the run.
    with ThreadPoolExecutor(10) as pool:
        raced = list(pool.map(lambda _: _keyed(orch.url, wid, {"input": 3}, "race"), range(10)))
    assert {r.status_code for r in raced} == {200}
    assert len({r.json()["runId"] for r in raced}) == 1
    assert len(_runs(orch, wid)) == 3

    stack.start("redis")  # back (empty or not): the record still answers
    until(lambda: _keyed(orch.url, wid, {"input": 1}, "k").status_code == 200, 30, "Redis back")
    back = _keyed(orch.url, wid, {"input": 1}, "k")
    assert back.json()["runId"] == run_id and back.headers["Idempotent-Replayed"] == "true"
    assert len(_runs(orch, wid)) == 3
