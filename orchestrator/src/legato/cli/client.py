"""The CLI's HTTP client: one request to the Legato API, its JSON back, and every failure turned into
a one-line error with the exit code of its kind (docs/cli.md)."""

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import IntEnum
from typing import Any
from urllib.parse import quote

import httpx
import typer
from httpx_sse import connect_sse

from legato import __version__

DEFAULT_API = "http://localhost:8080"
TIMEOUT_S = 30.0
MAX_WAIT_S = 60.0  # how long, in all, a request the API refused as busy (429) is retried
# an event stream sends a keepalive every 15 s: a read that waits this long has lost its connection
STREAM_TIMEOUT = httpx.Timeout(TIMEOUT_S, read=45.0)
RECONNECT_S = 1.0  # before an event stream that dropped is opened again
BUSY_DEFAULT_S = 1.0  # the wait when a 429 names none (or none the CLI can read)
BUSY_MIN_S = 0.1  # `Retry-After: 0` must not turn into a busy loop


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the operation ran and its outcome is a failure (a run FAILED, a replay refused)
    USAGE = 2  # a bad option, file or JSON; a request the API refused as invalid (400/413/422)
    NOT_FOUND = 3  # 404
    AUTH = 4  # 401 / 403
    UNAVAILABLE = 5  # the API cannot be reached, or answered with a server error


class CliError(Exception):
    """Printed as `legato: error: <message>`; the process exits with `code`."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Globals:
    """The options before the command: where the API is, the key, the output format."""

    api: str
    api_key: str | None
    output: str  # "table" or "json"

    @property
    def json(self) -> bool:
        return self.output == "json"


def globals_of(ctx: typer.Context) -> Globals:
    found: Globals = ctx.find_root().obj
    return found


def _message(response: httpx.Response) -> str:
    """The API's own words: `message`, else `detail` (a string, or FastAPI's list of field errors)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:300] if text else response.reason_phrase
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return str(body["message"])
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = []
            for e in detail:
                if isinstance(e, dict):
                    where = ".".join(str(p) for p in e.get("loc", ()))
                    parts.append(f"{where}: {e.get('msg', '')}" if where else str(e.get("msg", "")))
            if parts:
                return "; ".join(parts)
    return json.dumps(body)[:300]


def _code(status: int) -> ExitCode:
    if status == 404:
        return ExitCode.NOT_FOUND
    if status in (401, 403):
        return ExitCode.AUTH
    if status >= 500:
        return ExitCode.UNAVAILABLE
    if status in (400, 413, 422):
        return ExitCode.USAGE
    if status == 429:
        return ExitCode.UNAVAILABLE  # busy: the same request may succeed later
    return ExitCode.FAILED  # 409 (the run already ended, a request in flight), anything else


def _busy(response: httpx.Response) -> str:
    """A 429's words, and the backlog that caused it when the API says (flow-control spec)."""
    message = _message(response)
    try:
        body = response.json()
    except ValueError:
        return message
    if isinstance(body, dict) and "backlog" in body and "maxBacklog" in body:
        scope = f", {body['scope']}" if body.get("scope") else ""
        message += f"; backlog {body['backlog']} of at most {body['maxBacklog']}{scope}"
    return message


def retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if value is None:
        return BUSY_DEFAULT_S
    try:
        seconds = float(value)
    except ValueError:
        try:
            at = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return BUSY_DEFAULT_S
        if at.tzinfo is None:
            return BUSY_DEFAULT_S
        seconds = (at - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return BUSY_DEFAULT_S
    return max(BUSY_MIN_S, seconds)


def repeatable(headers: dict[str, str] | None) -> bool:
    """A request the API answers once whatever the number of tries: it carries an Idempotency-Key."""
    return any(k.lower() == "idempotency-key" and v for k, v in (headers or {}).items())


class Client:
    """Requests to one API. Every method answers the response's JSON or raises CliError.

    A request the API refuses as busy (429) is sent again after the Retry-After the API names, as
    long as it carries an Idempotency-Key (a repeat cannot start a second run) and the waits stay
    within `max_wait` seconds in all; then the 429 is the error."""

    def __init__(
        self, base_url: str, api_key: str | None, timeout: float = TIMEOUT_S, max_wait: float = MAX_WAIT_S
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_wait = max_wait
        headers = {"User-Agent": f"legato-cli/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        try:
            self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, ValueError) as exc:
            raise CliError(f"--api {base_url!r} is not a URL: {exc}", ExitCode.USAGE) from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if body is None else json.dumps(body)
        waited = 0.0
        while True:
            response = self._send(method, path, query, content, headers)
            if response.status_code != 429 or not repeatable(headers):
                break
            delay = retry_after(response.headers.get("Retry-After"))
            if waited + delay > self.max_wait:
                raise CliError(
                    f"the API is busy: {_busy(response)} (HTTP 429); still refused after waiting "
                    f"{waited:g}s, and the next try (in {delay:g}s) would pass --max-wait "
                    f"{self.max_wait:g}s: try again later",
                    ExitCode.UNAVAILABLE,
                )
            waited += delay
            sys.stderr.write(
                f"legato: the API is busy ({_busy(response)}); trying again in {delay:g}s with the "
                f"same Idempotency-Key ({waited:g}s of --max-wait {self.max_wait:g}s)\n"
            )
            sys.stderr.flush()
            time.sleep(delay)
        _raise_for(response)
        return response

    def stream(self, path: str, after: int) -> Iterator[dict[str, Any]]:
        """The events of a Server-Sent Events stream (api.event_stream) as JSON objects, oldest
        first, until its `end` message. A connection that drops is opened again with the last id
        seen (Last-Event-ID), so nothing is missed or repeated."""
        while True:
            try:
                yield from self._stream_once(path, after)
                return
            except _Dropped as dropped:
                after = dropped.after
                time.sleep(RECONNECT_S)

    def _stream_once(self, path: str, after: int) -> Iterator[dict[str, Any]]:
        try:
            with connect_sse(
                self._http, "GET", path, headers={"Last-Event-ID": str(after)}, timeout=STREAM_TIMEOUT
            ) as source:
                if source.response.status_code >= 400:
                    source.response.read()
                    _raise_for(source.response)
                for sse in source.iter_sse():
                    if sse.event == "end":
                        return
                    if sse.data:
                        event: dict[str, Any] = json.loads(sse.data)
                        after = int(event["id"])
                        yield event
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout):
            raise _Dropped(after) from None
        except httpx.HTTPError as exc:
            raise _unreachable(self.base_url, exc) from None
        raise _Dropped(after)  # closed without `end`: the server stopped

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        content: str | None,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        try:
            return self._http.request(
                method,
                path,
                params=query,
                content=content,
                headers={
                    **({"Content-Type": "application/json"} if content is not None else {}),
                    **(headers or {}),
                },
            )
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise CliError(f"--api {self.base_url!r} is not usable: {exc}", ExitCode.USAGE) from None
        except httpx.TimeoutException:
            raise CliError(
                f"the API at {self.base_url} did not answer in time", ExitCode.UNAVAILABLE
            ) from None
        except httpx.HTTPError as exc:
            raise _unreachable(self.base_url, exc) from None

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(
                f"the API answered {method} {path} with something that is not JSON", ExitCode.UNAVAILABLE
            ) from None

    def get(self, path: str, **params: Any) -> Any:
        return self.json("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.json("POST", path, body=body, **kwargs)

    def delete(self, path: str) -> Any:
        return self.json("DELETE", path)


class _Dropped(Exception):
    def __init__(self, after: int) -> None:
        self.after = after


def _unreachable(base_url: str, exc: httpx.HTTPError) -> CliError:
    return CliError(
        f"cannot reach the API at {base_url} ({type(exc).__name__}: {exc}); "
        "is `legato serve` running? (set --api or LEGATO_API_URL)",
        ExitCode.UNAVAILABLE,
    )


def _raise_for(response: httpx.Response) -> None:
    if response.status_code >= 400:
        message = _message(response)
        if response.status_code == 401:
            message += " (give a key with --api-key or LEGATO_API_KEY)"
        raise CliError(f"{message} (HTTP {response.status_code})", _code(response.status_code))


def connect(ctx: typer.Context, max_wait: float = MAX_WAIT_S) -> Client:
    g = globals_of(ctx)
    return Client(g.api, g.api_key, max_wait=max_wait)


def seg(value: str) -> str:
    """One path segment, escaped (ids may hold characters a URL reserves)."""
    return quote(value, safe="")
