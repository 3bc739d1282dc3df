"""Reading a run's event stream (`GET /workflow/run/{id}/events/stream`, Server-Sent Events parsed
by httpx-sse): which messages are history events, when the stream has ended, where to resume after
a drop and how long to wait before reconnecting. Shared by the sync and async clients."""

from __future__ import annotations

import json
from typing import Any

import httpx
from httpx_sse import ServerSentEvent

from legato_worker._client_errors import ServerError

RECONNECT_FIRST_S = 0.5
RECONNECT_CAP_S = 5.0
STREAM_READ_TIMEOUT_S = 45.0
"""The server sends a keepalive comment every 15 s: a stream silent for this long is dead."""


class EventCursor:
    """Where a reader of one run's stream is: the last event id it saw (resumes with
    `Last-Event-ID`), the `end` message once it came, and the reconnect backoff."""

    def __init__(self, after: int = 0) -> None:
        self.last_id = after
        self.end: dict[str, Any] | None = None
        self._delay = RECONNECT_FIRST_S

    def take(self, message: ServerSentEvent) -> dict[str, Any] | None:
        """The history event `message` carries, or None (the `end` message, sets `end`; a
        message without data)."""
        if message.event == "end":
            self.end = json.loads(message.data) if message.data else {}
            return None
        if not message.data:
            return None
        event: dict[str, Any] = json.loads(message.data)
        if message.id:
            self.last_id = int(message.id)
        self._delay = RECONNECT_FIRST_S  # the stream delivered: the next drop starts afresh
        return event

    def reconnect_delay(self) -> float:
        """How long to wait before reconnecting after a drop: 0.5 s doubling to 5 s."""
        delay = self._delay
        self._delay = min(delay * 2, RECONNECT_CAP_S)
        return delay


def check_stream(response: httpx.Response) -> None:
    """ServerError when a successful answer is not an event stream (a proxy's page, an old API)."""
    content_type = response.headers.get("Content-Type", "").partition(";")[0].strip()
    if content_type != "text/event-stream":
        raise ServerError(
            response.status_code, f"expected text/event-stream, got {content_type or 'nothing'!r}"
        )
