"""The client's retry policy against a scripted local API: what is retried, how often, and which
typed error ends a call."""

from __future__ import annotations

import uuid

import pytest
from scripted_api import Answer, ScriptedApi

from legato_worker import (
    Client,
    Conflict,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    Workflow,
)

pytestmark = pytest.mark.unit

RUN_ID = "0192f0c4-5b1e-7c3a-8f00-000000000001"
BUSY = Answer(429, {"detail": "too much work"}, {"Retry-After": "0"})


def test_429_with_retry_after_is_retried_then_answers(api: ScriptedApi) -> None:
    api.script(BUSY, Answer(200, {"runId": RUN_ID}))
    with Client(api.url) as client:
        assert client.trigger("w", {"n": 1}).run_id == RUN_ID
    assert [s.path for s in api.seen] == ["/workflow/w/trigger"] * 2


def test_429_after_the_retries_is_rate_limited_with_retry_after(api: ScriptedApi) -> None:
    api.script(*[BUSY] * 3)
    with Client(api.url, max_retries=2) as client, pytest.raises(RateLimited) as raised:
        client.trigger("w")
    assert (raised.value.status, raised.value.retry_after, raised.value.message) == (
        429,
        0.0,
        "too much work",
    )
    assert len(api.seen) == 3


def test_409_of_a_keyed_trigger_is_retried_with_the_same_key(api: ScriptedApi) -> None:
    in_flight = Answer(409, {"detail": "a request with this Idempotency-Key is still being processed"})
    api.script(in_flight, Answer(200, {"runId": RUN_ID}))
    with Client(api.url) as client:
        client.trigger("w", {"n": 1}, idempotency_key="order-42")
    assert [s.headers["Idempotency-Key"] for s in api.seen] == ["order-42", "order-42"]
    assert [s.body for s in api.seen] == [{"input": {"n": 1}}] * 2


def test_a_generated_idempotency_key_is_kept_across_retries_of_one_call(api: ScriptedApi) -> None:
    api.script(Answer(503, {"detail": "database unavailable"}), Answer(200, {"runId": RUN_ID}))
    api.script(Answer(200, {"runId": RUN_ID}))
    with Client(api.url) as client:
        client.trigger("w", priority=2)
        client.trigger("w", priority=2)
    first, retried, second = (s.headers["Idempotency-Key"] for s in api.seen)
    assert first == retried != second
    assert uuid.UUID(first).version == 4
    assert api.seen[0].body == {"input": None, "priority": 2}


def test_503_every_time_is_a_server_error_after_max_retries(api: ScriptedApi) -> None:
    unavailable = Answer(503, {"detail": "database unavailable, try again"}, {"Retry-After": "0"})
    api.script(*[unavailable] * 6)
    with Client(api.url) as client, pytest.raises(ServerError) as raised:
        client.get(RUN_ID)
    assert raised.value.status == 503
    assert len(api.seen) == 1 + 5  # the call and its 5 retries


def test_404_is_not_found_at_once(api: ScriptedApi) -> None:
    api.script(Answer(404, {"detail": f"run {RUN_ID} not found"}))
    with Client(api.url) as client, pytest.raises(NotFound, match="not found"):
        client.get(RUN_ID)
    assert len(api.seen) == 1


def test_422_is_invalid_request_with_the_api_message(api: ScriptedApi) -> None:
    message = "body.steps[1].dependsOn: unknown step 'nope'"
    api.script(Answer(422, {"detail": [{"loc": ["body", "steps", 1], "msg": "x"}], "message": message}))
    with Client(api.url) as client, pytest.raises(InvalidRequest) as raised:
        client.define(Workflow("w").step("a", action="x"))
    assert (raised.value.status, raised.value.message) == (422, message)
    assert raised.value.body["message"] == message
    assert api.seen[0].headers["Content-Type"] == "application/json"
    assert api.seen[0].body == {"id": "w", "steps": [{"id": "a", "action": "x"}]}


def test_409_of_an_operation_is_conflict_at_once(api: ScriptedApi) -> None:
    api.script(Answer(409, {"detail": "run is COMPLETED"}))
    with Client(api.url) as client, pytest.raises(Conflict, match="COMPLETED"):
        client.cancel(RUN_ID)
    assert len(api.seen) == 1


def test_a_dropped_connection_is_retried_for_a_trigger(api: ScriptedApi) -> None:
    api.script(Answer(hang_up=True), Answer(200, {"runId": RUN_ID}))
    with Client(api.url) as client:
        assert client.trigger("w", idempotency_key="k").run_id == RUN_ID
    assert len(api.seen) == 2


@pytest.mark.parametrize("operation", ["cancel", "retry", "pause", "resume", "signal"])
def test_a_dropped_connection_is_not_retried_for_an_unsafe_post(api: ScriptedApi, operation: str) -> None:
    api.script(Answer(hang_up=True), Answer(200, {"runId": RUN_ID}))
    with Client(api.url) as client:
        send = (
            (lambda: client.signal(RUN_ID, "approve", {"ok": True}))
            if operation == "signal"
            else (lambda: getattr(client, operation)(RUN_ID))
        )
        with pytest.raises(ConnectionFailed, match=api.url):
            send()
    assert len(api.seen) == 1


def test_a_signal_with_an_id_is_retried_after_a_dropped_connection(api: ScriptedApi) -> None:
    sent = {"runId": RUN_ID, "name": "approve", "signalId": "s1", "duplicate": False, "consumedBy": "a"}
    api.script(Answer(hang_up=True), Answer(200, sent))
    with Client(api.url) as client:
        assert client.signal(RUN_ID, "approve", {"ok": True}, signal_id="s1") == sent
    assert [s.body for s in api.seen] == [{"payload": {"ok": True}, "signalId": "s1"}] * 2
    assert api.seen[0].path == f"/workflow/run/{RUN_ID}/signal/approve"


def test_no_server_is_connection_failed_naming_the_url() -> None:
    with Client("http://127.0.0.1:9", max_retries=1) as client, pytest.raises(ConnectionFailed) as raised:
        client.get(RUN_ID)
    assert "http://127.0.0.1:9" in str(raised.value)


def test_the_api_key_is_sent_as_a_bearer_token(api: ScriptedApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_API_URL", api.url)
    monkeypatch.setenv("LEGATO_API_KEY", "sekret")
    api.script(Answer(200, {"runId": RUN_ID, "status": "CANCELLED", "changed": True}))
    with Client() as client:
        assert client.cancel(RUN_ID)["changed"] is True
    assert api.seen[0].headers["Authorization"] == "Bearer sekret"
    assert "Content-Type" not in api.seen[0].headers
