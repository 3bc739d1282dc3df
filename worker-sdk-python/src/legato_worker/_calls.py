"""The API operations the clients make, as `Call`s: paths, bodies and which of them are safe to
send again. One copy for the sync and the async client."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from legato_worker._builder import Workflow
from legato_worker._http import NO_BODY, Call
from legato_worker._runs import RunSummary

MAX_PAGE = 500
"""The largest page `GET /workflow/runs` serves."""


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def define(workflow: Workflow | Mapping[str, Any]) -> Call:
    # the same body again stores nothing new: safe to resend
    body = workflow.to_dict() if isinstance(workflow, Workflow) else dict(workflow)
    return Call("POST", "/workflow/", body, resend_safe=True)


def trigger(workflow_id: str, input: Any, idempotency_key: str | None, priority: int | None) -> Call:
    body: dict[str, Any] = {"input": input}
    if priority is not None:
        body["priority"] = priority
    key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
    return Call(
        "POST",
        f"/workflow/{_seg(workflow_id)}/trigger",
        body,
        headers={"Idempotency-Key": key},
        resend_safe=True,
        keyed_trigger=True,
    )


def get_run(run_id: str) -> Call:
    return Call("GET", f"/workflow/run/{_seg(run_id)}", resend_safe=True)


def signal(run_id: str, name: str, payload: Any, signal_id: str | None) -> Call:
    body: dict[str, Any] = {"payload": payload}
    if signal_id is not None:
        body["signalId"] = signal_id
    path = f"/workflow/run/{_seg(run_id)}/signal/{_seg(name)}"
    return Call("POST", path, body, resend_safe=signal_id is not None)


def operate(run_id: str, operation: str) -> Call:
    """cancel, retry, pause or resume: never sent again after a connection error."""
    return Call("POST", f"/workflow/run/{_seg(run_id)}/{operation}", NO_BODY)


def runs_page(workflow_id: str | None, status: str | None, size: int, cursor: str | None) -> Call:
    params = {"workflowId": workflow_id, "status": status, "limit": size, "cursor": cursor}
    return Call(
        "GET", "/workflow/runs", params={k: v for k, v in params.items() if v is not None}, resend_safe=True
    )


def event_stream(run_id: str, last_event_id: int) -> Call:
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
    if last_event_id:
        headers["Last-Event-ID"] = str(last_event_id)
    return Call("GET", f"/workflow/run/{_seg(run_id)}/events/stream", headers=headers, resend_safe=True)


class RunPages:
    """The pages of one run listing (keyset pages, `nextCursor`), up to `limit` runs in total."""

    def __init__(self, workflow_id: str | None, status: str | None, limit: int | None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        self._filters = (workflow_id, status)
        self._limit = limit
        self._listed = 0
        self._cursor: str | None = None
        self._done = limit == 0

    def next_call(self) -> Call | None:
        """The request of the next page; None once the listing is complete."""
        if self._done:
            return None
        size = MAX_PAGE if self._limit is None else min(MAX_PAGE, self._limit - self._listed)
        return runs_page(*self._filters, size, self._cursor)

    def take(self, page: dict[str, Any]) -> list[RunSummary]:
        """The runs of an answered page, and where the next one starts."""
        runs = [RunSummary.from_json(raw) for raw in page.get("runs", [])]
        self._listed += len(runs)
        self._cursor = page.get("nextCursor")
        self._done = not runs or not self._cursor or self._listed == self._limit
        return runs
