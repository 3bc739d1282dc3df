"""The client's typed errors: one root (`LegatoError`), API answers mapped by HTTP status."""

from __future__ import annotations

import json
from typing import Any, Protocol


class EndedRun(Protocol):
    """What RunFailed and RunCancelled carry: a client's `Run`, or the test kit's `TestRun`."""

    @property
    def run_id(self) -> str: ...

    @property
    def error(self) -> Any: ...


class LegatoError(Exception):
    """The root of every error the client raises."""


class ApiError(LegatoError):
    """The API answered with an error status. `message` is the API's own words, `body` its raw JSON
    (or text when it was not JSON)."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class InvalidRequest(ApiError):
    """400, 415 or 422: the request is wrong; the message says what and where."""


class Unauthorized(ApiError):
    """401: no API key, or a bad one (LEGATO_API_KEY)."""


class Forbidden(ApiError):
    """403: the API key lacks the scope this operation needs."""


class NotFound(ApiError):
    """404: no such workflow or run."""


class Conflict(ApiError):
    """409: the run is in the wrong state for the operation (or a keyed trigger stayed in flight)."""


class PayloadTooLarge(ApiError):
    """413: the body is over the API's limit."""


class RateLimited(ApiError):
    """429 after the client's retries: too much work has not started. `retry_after`: the API's
    last `Retry-After`, in seconds (None without one)."""

    def __init__(self, status: int, message: str, body: Any = None, retry_after: float | None = None) -> None:
        super().__init__(status, message, body)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx (a 503 after the client's retries)."""


class ConnectionFailed(LegatoError):
    """The API could not be reached (after the retries a safe request gets)."""


class RunFailed(LegatoError):
    """The awaited run ended FAILED. `error`: the run's error object; `run`: the run."""

    def __init__(self, run: EndedRun) -> None:
        error = run.error if isinstance(run.error, dict) else {}
        where = f" at step {error['stepId']}" if error.get("stepId") else ""
        super().__init__(f"run {run.run_id} failed{where}: {error.get('type')}: {error.get('message')}")
        self.run = run
        self.error: Any = run.error


class RunCancelled(LegatoError):
    """The awaited run ended CANCELLED."""

    def __init__(self, run: EndedRun) -> None:
        super().__init__(f"run {run.run_id} was cancelled")
        self.run = run


class AwaitTimeout(LegatoError):
    """The run had not ended when the timeout given to `result()` elapsed (it goes on running)."""

    def __init__(self, run_id: str, timeout: float) -> None:
        super().__init__(f"run {run_id} did not end within {timeout:g} s")
        self.run_id = run_id
        self.timeout = timeout


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
}


def api_error(status: int, text: str, retry_after: float | None = None) -> ApiError:
    """The typed error of an error answer: its class by status, its message from the body."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    message = message_of(body) or f"HTTP {status}"
    if status == 429:
        return RateLimited(status, message, body, retry_after)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return cls(status, message, body)


def message_of(body: Any) -> str:
    """The API's own words: `message`, else `detail` (a string, or FastAPI's list of field errors)."""
    if isinstance(body, str):
        lines = body.strip().splitlines()
        return lines[0][:300] if lines else ""
    if not isinstance(body, dict):
        return json.dumps(body)[:300]
    if isinstance(body.get("message"), str):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", ()))
                msg = str(item.get("msg", ""))
                parts.append(f"{where}: {msg}" if where else msg)
        if parts:
            return "; ".join(parts)
    return json.dumps(body)[:300]
