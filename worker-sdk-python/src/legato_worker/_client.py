"""The synchronous API client (httpx): define and trigger workflows, read, await and operate runs."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
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


class Client:
    """`with Client() as client:` - the Legato API at `api_url` (else LEGATO_API_URL, else
    http://localhost:8080) with `api_key` (else LEGATO_API_KEY). Busy answers (429, 503) and
    connection errors of safe requests are retried up to `max_retries` times; every error is a
    `LegatoError`. Thread-safe."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        max_retries: int = 5,
        timeout: float = 30.0,
    ) -> None:
        self.config = ClientConfig.resolve(api_url, api_key, max_retries, timeout)
        self._http = httpx.Client(
            base_url=self.config.api_url, headers=self.config.headers(), timeout=timeout
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def define(self, workflow: Workflow | Mapping[str, Any]) -> Any:
        """Define (or redefine) a workflow: a builder `Workflow` or the definition JSON. Returns the
        API's answer (`id`, `version`, ...)."""
        return self._call(calls.define(workflow))

    def trigger(
        self,
        workflow_id: str,
        input: Any = None,
        *,
        idempotency_key: str | None = None,
        priority: int | None = None,
    ) -> RunHandle:
        """Start a run. Without `idempotency_key` the call makes one, so its retries start one run."""
        started = self._call(calls.trigger(workflow_id, input, idempotency_key, priority))
        return RunHandle(self, started["runId"])

    def run(self, run_id: str) -> RunHandle:
        """A handle on an existing run (sends nothing)."""
        return RunHandle(self, run_id)

    def get(self, run_id: str) -> Run:
        return Run.from_json(self._call(calls.get_run(run_id)))

    def result(self, run_id: str, timeout: float | None = None) -> Any:
        """Wait for the run to end (through its event stream) and return its output. RunFailed,
        RunCancelled; AwaitTimeout when `timeout` seconds passed first."""
        if timeout is None:
            return self._await(run_id, threading.Event())
        return _within(timeout, run_id, self._await)

    def signal(self, run_id: str, name: str, payload: Any = None, *, signal_id: str | None = None) -> Any:
        """Send the run the signal `name`. Retried after a connection error only with a `signal_id`."""
        return self._call(calls.signal(run_id, name, payload, signal_id))

    def cancel(self, run_id: str) -> Any:
        return self._call(calls.operate(run_id, "cancel"))

    def retry(self, run_id: str) -> Any:
        return self._call(calls.operate(run_id, "retry"))

    def pause(self, run_id: str) -> Any:
        return self._call(calls.operate(run_id, "pause"))

    def resume(self, run_id: str) -> Any:
        return self._call(calls.operate(run_id, "resume"))

    def list_runs(
        self, workflow_id: str | None = None, status: str | None = None, limit: int | None = None
    ) -> Iterator[RunSummary]:
        """Runs, newest first, across pages, at most `limit` of them."""
        pages = calls.RunPages(workflow_id, status, limit)
        while (call := pages.next_call()) is not None:
            yield from pages.take(self._call(call))

    def events(self, run_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """The run's history events with an id above `after`, as they happen, until the run ends."""
        return self._stream(run_id, EventCursor(after), threading.Event())

    def _await(self, run_id: str, stop: threading.Event) -> Any:
        cursor = EventCursor()
        while True:
            for _ in self._stream(run_id, cursor, stop):
                pass
            if stop.is_set():  # the caller's timeout passed: nobody waits for this any more
                return None
            run = self.get(run_id)
            if run.status in TERMINAL:
                return outcome(run)
            cursor.end = None  # retried after it ended: await its next end

    def _stream(self, run_id: str, cursor: EventCursor, stop: threading.Event) -> Iterator[dict[str, Any]]:
        while cursor.end is None and not stop.is_set():
            response = self._send(calls.event_stream(run_id, cursor.last_id), stream=True)
            try:
                check_stream(response)
                for message in EventSource(response).iter_sse():
                    event = cursor.take(message)
                    if event is not None:
                        yield event
                    if cursor.end is not None or stop.is_set():
                        return
            except httpx.TransportError as exc:
                log.debug("event stream of run %s dropped: %s", run_id, exc)
            finally:
                response.close()
            stop.wait(cursor.reconnect_delay())

    def _call(self, call: Call) -> Any:
        return answer(self._send(call))

    def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        attempts = Attempts(call, self.config)
        request = call.request(self._http)
        if stream:
            request.extensions["timeout"] = httpx.Timeout(
                self.config.timeout, read=STREAM_READ_TIMEOUT_S
            ).as_dict()
        while True:
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = attempts.after_error(exc)
            else:
                if response.is_success:
                    return response
                response.read()
                response.close()
                delay = attempts.after_answer(response)
            time.sleep(delay)


def _within(timeout: float, run_id: str, wait: Any) -> Any:
    """`wait(run_id, stop)` in a thread, for at most `timeout` seconds (then `stop` is set)."""
    outcomes: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def pump() -> None:
        try:
            outcomes.put((True, wait(run_id, stop)))
        except BaseException as exc:
            outcomes.put((False, exc))

    threading.Thread(target=pump, name=f"legato-await-{run_id}", daemon=True).start()
    try:
        ok, value = outcomes.get(timeout=timeout)
    except queue.Empty:
        stop.set()
        raise AwaitTimeout(run_id, timeout) from None
    if not ok:
        raise value
    return value


class RunHandle:
    """A run started or named through a `Client`."""

    def __init__(self, client: Client, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def get(self) -> Run:
        return self.client.get(self.run_id)

    def result(self, timeout: float | None = None) -> Any:
        return self.client.result(self.run_id, timeout)

    def events(self, after: int = 0) -> Iterator[dict[str, Any]]:
        return self.client.events(self.run_id, after)

    def __repr__(self) -> str:
        return f"RunHandle({self.run_id!r})"
