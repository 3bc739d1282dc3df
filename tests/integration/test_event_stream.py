"""GET /workflow/run/{runId}/events/stream: a run's history as Server-Sent Events, live, resumable.

The runs here wait on a signal, so the test decides when they move (no worker, no timer): a stream
opened while a run waits must deliver what happens next as it happens, then `end`.
"""

import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from httpx_sse import ServerSentEvent, connect_sse

from harness.api import define, events, trigger, unique, wait_run

pytestmark = pytest.mark.integration

STREAM_TIMEOUT = httpx.Timeout(30.0)  # a read this long fails the test (keepalives come every 15 s)


def stream(
    api: httpx.Client, run_id: str, headers: dict[str, str] | None = None, **params: Any
) -> Iterator[ServerSentEvent]:
    path = f"/workflow/run/{run_id}/events/stream"
    with connect_sse(
        api, "GET", path, headers=dict(headers or {}), params=params, timeout=STREAM_TIMEOUT
    ) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        yield from (sse for sse in source.iter_sse() if sse.event != "message" or sse.data)


def waiting_run(api: httpx.Client) -> str:
    wid = unique("streamed")
    define(api, {"id": wid, "steps": [{"id": "approve", "signal": {"name": "go"}}]})
    return trigger(api, wid, {"order": 1})


def reader(api: httpx.Client, run_id: str) -> "queue.Queue[ServerSentEvent | None]":
    """Reads the stream on a thread: each message into the queue, then None when it closes."""
    got: queue.Queue[ServerSentEvent | None] = queue.Queue()

    def read() -> None:
        try:
            for sse in stream(api, run_id):
                got.put(sse)
        finally:
            got.put(None)

    threading.Thread(target=read, daemon=True).start()
    return got


def next_of(got: "queue.Queue[ServerSentEvent | None]", event: str) -> ServerSentEvent:
    while True:
        sse = got.get(timeout=30)
        assert sse is not None, f"the stream closed before {event}"
        if sse.event == event:
            return sse


def test_a_stream_delivers_what_happens_while_it_is_open_then_ends(api: httpx.Client) -> None:
    run_id = waiting_run(api)
    got = reader(api, run_id)
    waiting = next_of(got, "SIGNAL_WAITING")
    assert orjson.loads(waiting.data)["stepId"] == "approve"
    sent = api.post(f"/workflow/run/{run_id}/signal/go", json={"payload": {"approved": True}})
    assert sent.status_code == 200, sent.text
    consumed = next_of(got, "SIGNAL_CONSUMED")
    assert int(consumed.id) > int(waiting.id)
    completed = next_of(got, "RUN_COMPLETED")
    end = got.get(timeout=30)
    assert end is not None and end.event == "end" and end.id == completed.id  # `end` carries no id of its own
    assert orjson.loads(end.data) == {"runId": run_id, "status": "COMPLETED"}
    assert got.get(timeout=30) is None  # the server closed the stream


def test_the_messages_are_the_history_in_order_and_resume_after_last_event_id(api: httpx.Client) -> None:
    run_id = waiting_run(api)
    assert api.post(f"/workflow/run/{run_id}/signal/go", json={"payload": 1}).status_code == 200
    wait_run(api, run_id)
    history = events(api, run_id)
    messages = [sse for sse in stream(api, run_id) if sse.event != "end"]
    assert [orjson.loads(sse.data) for sse in messages] == history
    assert [sse.event for sse in messages] == [e["type"] for e in history]
    assert [int(sse.id) for sse in messages] == [e["id"] for e in history]

    middle = history[1]["id"]
    resumed = list(stream(api, run_id, headers={"Last-Event-ID": str(middle)}))
    assert [int(sse.id) for sse in resumed[:-1]] == [e["id"] for e in history[2:]]
    assert resumed[-1].event == "end"
    # the header wins over ?after= (a browser's EventSource sends the header on its reconnects)
    header_wins = list(stream(api, run_id, headers={"Last-Event-ID": str(middle)}, after=0))
    assert [sse.id for sse in header_wins] == [sse.id for sse in resumed]
    after_last = list(stream(api, run_id, after=history[-1]["id"]))
    assert [sse.event for sse in after_last] == ["end"]


def test_a_cancelled_run_ends_its_stream_with_its_status(api: httpx.Client) -> None:
    run_id = waiting_run(api)
    got = reader(api, run_id)
    next_of(got, "SIGNAL_WAITING")
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 200
    end = next_of(got, "end")
    assert orjson.loads(end.data) == {"runId": run_id, "status": "CANCELLED"}
    # the server closed the stream, and the reader thread is done with the client before the next
    # test closes it (a read on a closed client failed that thread, reported at the next test)
    assert got.get(timeout=30) is None


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/workflow/run/00000000-0000-0000-0000-000000000000/events/stream", {}, 404),
        ("/workflow/run/not-a-run/events/stream", {}, 422),
        ("/workflow/run/00000000-0000-0000-0000-000000000000/events/stream?after=-1", {}, 422),
        ("/workflow/run/00000000-0000-0000-0000-000000000000/events/stream", {"Last-Event-ID": "x"}, 422),
    ],
)
def test_bad_requests_get_a_json_error_before_any_stream(
    api: httpx.Client, path: str, headers: dict[str, str], status: int
) -> None:
    r = api.get(path, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
