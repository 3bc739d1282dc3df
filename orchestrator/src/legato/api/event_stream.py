"""`GET /workflow/run/{runId}/events/stream`: a run's history as Server-Sent Events, live.

Each event of `GET /workflow/run/{runId}/events` is one SSE message (`id:` its id, `event:` its type,
`data:` the event as JSON). `Last-Event-ID` (or `?after=`; the header wins) resumes after an id, so
a client that lost its connection reconnects without missing or repeating anything. Once the run
has ended (COMPLETED, FAILED or CANCELLED) and its last event is sent, one `end` message (no id;
data `{"runId", "status"}`) closes the stream. A comment is sent every `KEEPALIVE_S` while nothing
else is, so proxies keep the connection and clients can tell a quiet run from a dead connection.

The stream reads the run's events when the feed (runs.feed) says they changed, never on a timer of
its own; sse-starlette writes the wire format, pings, notices disconnects and ends the stream when
the server shuts down.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent

from legato.api.errors import ApiError
from legato.api.models import problem
from legato.api.services import Services
from legato.api.workflows import services
from legato.runs import queries
from legato.runs.feed import Watcher

ENDED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
KEEPALIVE_S = 15
RETRY_MS = 1000  # what a browser's EventSource waits before it reconnects
PAGE = 500

router = APIRouter(prefix="/workflow/run", tags=["runs"])

STREAM_DOC = {
    200: {
        "description": "`text/event-stream`: one message per event (`id`, `event` = its type, `data` = the "
        'event as JSON), then `event: end` with `{"runId", "status"}` once the run has ended',
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    404: problem("unknown run"),
    422: problem("runId is not a UUID, or Last-Event-ID / after is not an event id"),
}


def _start(after: int, last_event_id: str | None) -> int:
    if last_event_id is None:
        return after
    try:
        start = int(last_event_id)
    except ValueError:
        start = -1
    if start < 0:
        raise ApiError(422, f"Last-Event-ID {last_event_id[:40]!r} is not an event id (an integer >= 0)")
    return start


@router.get(
    "/{run_id}/events/stream",
    summary="The run's history as Server-Sent Events, live; Last-Event-ID resumes",
    response_class=EventSourceResponse,
    responses=STREAM_DOC,  # type: ignore[arg-type]
)
async def stream_events(
    request: Request,
    run_id: str,
    after: Annotated[int, Query(ge=0, description="send only events after this id")] = 0,
    last_event_id: Annotated[str | None, Header(description="resume after this event id")] = None,
) -> EventSourceResponse:
    try:
        rid = UUID(run_id)
    except ValueError as exc:
        raise ApiError(422, f"runId {run_id!r} is not a UUID") from exc
    start = _start(after, last_event_id)
    s = services(request)
    watcher = s.feed.watch(rid)  # before the first read: nothing written after it goes unheard
    try:
        status, events = await run_in_threadpool(queries.status_and_events, s.pool, rid, start, PAGE)
    except BaseException:
        s.feed.unwatch(watcher)
        raise
    if status is None:
        s.feed.unwatch(watcher)
        raise ApiError(404, f"run {run_id} not found")
    return EventSourceResponse(
        _messages(s, watcher, start, status, events),
        ping=KEEPALIVE_S,
        ping_message_factory=lambda: ServerSentEvent(comment="keepalive"),
        headers={"Cache-Control": "no-store"},
    )


async def _messages(
    s: Services, watcher: Watcher, after: int, status: str | None, events: list[dict[str, Any]]
) -> AsyncIterator[ServerSentEvent]:
    try:
        yield ServerSentEvent(retry=RETRY_MS)
        while True:
            for event in events:
                data = orjson.dumps(event).decode()
                yield ServerSentEvent(data, event=str(event["type"]), id=str(event["id"]))
            if events:
                after = events[-1]["id"]
            if len(events) < PAGE:
                if status is None or status in ENDED:  # None: retention deleted the run meanwhile
                    end = {"runId": str(watcher.run_id), "status": status}
                    yield ServerSentEvent(orjson.dumps(end).decode(), event="end")
                    return
                await watcher.woken.wait()
            watcher.woken.clear()  # before the read: a wake-up during it is kept for the next wait
            status, events = await run_in_threadpool(
                queries.status_and_events, s.pool, watcher.run_id, after, PAGE
            )
    finally:
        s.feed.unwatch(watcher)
