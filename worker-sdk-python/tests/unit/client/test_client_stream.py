"""Awaiting a run through its event stream (sync and asyncio) against a scripted local API:
reconnects with Last-Event-ID, the end message, and what an ended run raises."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from scripted_api import Answer, ScriptedApi, history_event, run_json, sse

from legato_worker import AsyncClient, AwaitTimeout, Client, NotFound, RunCancelled, RunFailed

pytestmark = pytest.mark.unit

RUN_ID = "0192f0c4-5b1e-7c3a-8f00-000000000002"
STREAM = f"/workflow/run/{RUN_ID}/events/stream"


def end(status: str) -> str:
    return sse(None, "end", {"runId": RUN_ID, "status": status})


def dropped_then_completed() -> list[Answer]:
    """A stream that drops after event 2, its resumption, and the completed run."""
    first = [
        "retry: 1000\n\n",
        history_event(1, "RUN_CREATED"),
        ": keepalive\n\n",
        history_event(2, "STEP_SCHEDULED"),
    ]
    second = [history_event(3, "STEP_COMPLETED"), history_event(4, "RUN_COMPLETED"), end("COMPLETED")]
    return [
        Answer(stream=first),
        Answer(stream=second),
        Answer(200, run_json(RUN_ID, "COMPLETED", {"total": 3})),
    ]


def assert_resumed(api: ScriptedApi) -> None:
    assert [s.path for s in api.seen] == [STREAM, STREAM, f"/workflow/run/{RUN_ID}"]
    assert "Last-Event-ID" not in api.seen[0].headers
    assert api.seen[1].headers["Last-Event-ID"] == "2"
    assert api.seen[0].headers["Accept"] == "text/event-stream"


def test_result_reconnects_with_last_event_id_then_returns_the_output(api: ScriptedApi) -> None:
    api.script(*dropped_then_completed())
    with Client(api.url) as client:
        assert client.result(RUN_ID, timeout=30) == {"total": 3}
    assert_resumed(api)


def test_async_result_reconnects_with_last_event_id_then_returns_the_output(api: ScriptedApi) -> None:
    api.script(*dropped_then_completed())

    async def main() -> Any:
        async with AsyncClient(api.url) as client:
            return await client.run(RUN_ID).result(timeout=30)

    assert asyncio.run(main()) == {"total": 3}
    assert_resumed(api)


def test_events_yields_each_event_once_across_a_reconnect_until_end(api: ScriptedApi) -> None:
    api.script(*dropped_then_completed()[:2])
    with Client(api.url) as client:
        types = [e["type"] for e in client.events(RUN_ID)]
    assert types == ["RUN_CREATED", "STEP_SCHEDULED", "STEP_COMPLETED", "RUN_COMPLETED"]


def test_async_events_after_resumes_there(api: ScriptedApi) -> None:
    api.script(Answer(stream=[history_event(8, "RUN_CANCELLED"), end("CANCELLED")]))

    async def main() -> list[int]:
        async with AsyncClient(api.url) as client:
            return [e["id"] async for e in client.events(RUN_ID, after=7)]

    assert asyncio.run(main()) == [8]
    assert api.seen[0].headers["Last-Event-ID"] == "7"


def test_a_failed_run_raises_run_failed_with_its_error(api: ScriptedApi) -> None:
    error = {"stepId": "charge", "type": "CardDeclined", "message": "insufficient funds"}
    api.script(
        Answer(stream=[history_event(1, "RUN_FAILED"), end("FAILED")]),
        Answer(200, run_json(RUN_ID, "FAILED", error=error)),
    )
    with Client(api.url) as client, pytest.raises(RunFailed, match="CardDeclined") as raised:
        client.result(RUN_ID)
    assert raised.value.error == error
    assert raised.value.run.status == "FAILED"


def test_a_cancelled_run_raises_run_cancelled(api: ScriptedApi) -> None:
    api.script(Answer(stream=[end("CANCELLED")]), Answer(200, run_json(RUN_ID, "CANCELLED")))

    async def main() -> None:
        async with AsyncClient(api.url) as client:
            await client.result(RUN_ID)

    with pytest.raises(RunCancelled):
        asyncio.run(main())


def test_a_run_retried_after_its_end_is_awaited_to_its_next_end(api: ScriptedApi) -> None:
    api.script(
        Answer(stream=[history_event(5, "RUN_FAILED"), end("FAILED")]),
        Answer(200, run_json(RUN_ID, "RUNNING")),
        Answer(stream=[history_event(6, "RUN_RETRIED"), history_event(9, "RUN_COMPLETED"), end("COMPLETED")]),
        Answer(200, run_json(RUN_ID, "COMPLETED", "done")),
    )
    with Client(api.url) as client:
        assert client.result(RUN_ID) == "done"
    assert api.seen[2].headers["Last-Event-ID"] == "5"


@pytest.mark.parametrize("use_async", [False, True])
def test_a_run_that_does_not_end_in_time_raises_await_timeout(api: ScriptedApi, use_async: bool) -> None:
    hold = threading.Event()
    api.releases.append(hold)
    api.script(Answer(stream=[history_event(1, "SIGNAL_WAITING")], hold=hold))

    async def main() -> None:
        async with AsyncClient(api.url) as client:
            await client.result(RUN_ID, timeout=0.3)

    def sync() -> None:
        with Client(api.url) as client:
            client.result(RUN_ID, timeout=0.3)

    with pytest.raises(AwaitTimeout, match=RUN_ID):
        asyncio.run(main()) if use_async else sync()


def test_an_unknown_run_is_not_found_before_any_stream(api: ScriptedApi) -> None:
    api.script(Answer(404, {"detail": f"run {RUN_ID} not found"}))
    with Client(api.url) as client, pytest.raises(NotFound):
        client.result(RUN_ID, timeout=5)
