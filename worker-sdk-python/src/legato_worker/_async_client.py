"""The asyncio API client (httpx): the same operations as `Client`, awaited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import httpx
from httpx_sse import EventSource

from legato_worker import _calls as calls
from legato_worker._builder import Workflow
from legato_worker._client_errors import AwaitTimeout
from legato_worker._http import Attempts, Call, ClientConfig, answer
from legato_worker._runs import TERMINAL, Run, RunSummary, outcome
from legato_worker._sse import STREAM_READ_TIMEOUT_S, EventCursor, check_stream

log = logging.getLogger("legato_worker.client")


class AsyncClient:
    """`async with AsyncClient() as client:` - `Client`'s configuration, operations, retries and
    errors, as coroutines (and `list_runs`/`events` as async iterators)."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        max_retries: int = 5,
        timeout: float = 30.0,
    ) -> None:
        self.config = ClientConfig.resolve(api_url, api_key, max_retries, timeout)
        self._http = httpx.AsyncClient(
            base_url=self.config.api_url, headers=self.config.headers(), timeout=timeout
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def define(self, workflow: Workflow | Mapping[str, Any]) -> Any:
        return await self._call(calls.define(workflow))

    async def trigger(
        self,
        workflow_id: str,
        input: Any = None,
        *,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> AsyncRunHandle:
        started = await self._call(calls.trigger(workflow_id, input, idempotency_key, priority))
        return AsyncRunHandle(self, started["runId"])

    def run(self, run_id: str) -> AsyncRunHandle:
        return AsyncRunHandle(self, run_id)

    async def get(self, run_id: str) -> Run:
        return Run.from_json(await self._call(calls.get_run(run_id)))

    async def result(self, run_id: str, timeout: float | None = None) -> Any:
        try:
            async with asyncio.timeout(timeout):
                return await self._await(run_id)
        except TimeoutError:
            if timeout is None:
                raise
            raise AwaitTimeout(run_id, timeout) from None

    async def signal(
        self, run_id: str, name: str, payload: Any = None, *, signal_id: str | None = None
    ) -> Any:
        return await self._call(calls.signal(run_id, name, payload, signal_id))

    async def cancel(self, run_id: str) -> Any:
        return await self._call(calls.operate(run_id, "cancel"))

    async def retry(self, run_id: str) -> Any:
        return await self._call(calls.operate(run_id, "retry"))

    async def pause(self, run_id: str) -> Any:
        return await self._call(calls.operate(run_id, "pause"))

    async def resume(self, run_id: str) -> Any:
        return await self._call(calls.operate(run_id, "resume"))

    async def list_runs(
        self, workflow_id: str | None = None, status: str | None = None, limit: int | None = None
    ) -> AsyncIterator[RunSummary]:
        pages = calls.RunPages(workflow_id, status, limit)
        while (call := pages.next_call()) is not None:
            for run in pages.take(await self._call(call)):
                yield run

    def events(self, run_id: str, after: int = 0) -> AsyncIterator[dict[str, Any]]:
        return self._stream(run_id, EventCursor(after))

    async def _await(self, run_id: str) -> Any:
        cursor = EventCursor()
        while True:
            async for _ in self._stream(run_id, cursor):
                pass
            run = await self.get(run_id)
            if run.status in TERMINAL:
                return outcome(run)
            cursor.end = None  # retried after it ended: await its next end

    async def _stream(self, run_id: str, cursor: EventCursor) -> AsyncIterator[dict[str, Any]]:
        while cursor.end is None:
            response = await self._send(calls.event_stream(run_id, cursor.last_id), stream=True)
            try:
                check_stream(response)
                async for message in EventSource(response).aiter_sse():
                    event = cursor.take(message)
                    if event is not None:
                        yield event
                    if cursor.end is not None:
                        return
            except httpx.TransportError as exc:
                log.debug("event stream of run %s dropped: %s", run_id, exc)
            finally:
                await response.aclose()
            await asyncio.sleep(cursor.reconnect_delay())

    async def _call(self, call: Call) -> Any:
        return answer(await self._send(call))

    async def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        attempts = Attempts(call, self.config)
        request = call.request(self._http)
        if stream:
            request.extensions["timeout"] = httpx.Timeout(
                self.config.timeout, read=STREAM_READ_TIMEOUT_S
            ).as_dict()
        while True:
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = attempts.after_error(exc)
            else:
                if response.is_success:
                    return response
                await response.aread()
                await response.aclose()
                delay = attempts.after_answer(response)
            await asyncio.sleep(delay)


class AsyncRunHandle:
    """A run started or named through an `AsyncClient`."""

    def __init__(self, client: AsyncClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    async def get(self) -> Run:
        return await self.client.get(self.run_id)

    async def result(self, timeout: float | None = None) -> Any:
        return await self.client.result(self.run_id, timeout)

    def events(self, after: int = 0) -> AsyncIterator[dict[str, Any]]:
        return self.client.events(self.run_id, after)

    def __repr__(self) -> str:
        return f"AsyncRunHandle({self.run_id!r})"
