"""What the sync and async clients share about HTTP: their configuration (LEGATO_API_URL,
LEGATO_API_KEY), the description of one API call, and the retry policy that decides, after each
answer or connection error, whether to try again, after how long, or which typed error to raise."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from legato_worker._client_errors import ConnectionFailed, api_error
from legato_worker._version import __version__

DEFAULT_API_URL = "http://localhost:8080"
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 5.0
NO_BODY: Any = object()
"""A call without a body (not a JSON null)."""


@dataclass(frozen=True)
class ClientConfig:
    """Where the API is and how hard to try; arguments win over LEGATO_API_URL / LEGATO_API_KEY."""

    api_url: str
    api_key: str | None
    max_retries: int = 5
    timeout: float = 30.0

    @classmethod
    def resolve(
        cls, api_url: str | None, api_key: str | None, max_retries: int, timeout: float
    ) -> ClientConfig:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        url = api_url or os.environ.get("LEGATO_API_URL") or DEFAULT_API_URL
        key = api_key if api_key is not None else os.environ.get("LEGATO_API_KEY") or None
        return cls(url.rstrip("/"), key, max_retries, timeout)

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"legato-worker-python/{__version__}", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


@dataclass(frozen=True)
class Call:
    """One API operation: what to send, and what makes sending it again safe."""

    method: str
    path: str
    body: Any = NO_BODY
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    resend_safe: bool = False
    """The request may be sent again after a connection error (a GET, a keyed trigger, a define)."""
    keyed_trigger: bool = False
    """A 409 means the first request with this Idempotency-Key is still in flight: retry it."""

    def request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers = dict(self.headers)
        content = None
        if self.body is not NO_BODY:
            headers["Content-Type"] = "application/json"
            content = json.dumps(
                self.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
        return client.build_request(
            self.method, self.path, params=self.params, headers=headers, content=content
        )


class Attempts:
    """The retry policy of one call: 429 and 503 (and a keyed trigger's 409) are retried after
    `Retry-After`, else after 0.2 s x 2^n capped at 5 s, at most `max_retries` times; a connection
    error likewise when nothing was sent or the call is safe to resend; anything else is final."""

    def __init__(self, call: Call, config: ClientConfig) -> None:
        self.call = call
        self.config = config
        self.retries = 0

    def after_answer(self, response: httpx.Response) -> float:
        """The delay before sending again after the error answer `response` (its body read), or
        raise its typed error."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        retryable = status in (429, 503) or (status == 409 and self.call.keyed_trigger)
        if retryable and self.retries < self.config.max_retries:
            return self._next(retry_after)
        raise api_error(status, response.text, retry_after)

    def after_error(self, exc: httpx.TransportError) -> float:
        """The delay before sending again after a connection error, or raise ConnectionFailed."""
        unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        if (unsent or self.call.resend_safe) and self.retries < self.config.max_retries:
            return self._next(None)
        detail = str(exc) or type(exc).__name__
        raise ConnectionFailed(
            f"{self.call.method} {self.config.api_url}{self.call.path} failed after "
            f"{self.retries + 1} attempt(s): {detail}"
        ) from exc

    def _next(self, retry_after: float | None) -> float:
        delay = retry_after if retry_after is not None else backoff(self.retries)
        self.retries += 1
        return delay


def backoff(retries: int) -> float:
    return float(min(BACKOFF_BASE_S * 2**retries, BACKOFF_CAP_S))


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (RFC 9110 10.2.3: delay-seconds or an HTTP date); None without it."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def answer(response: httpx.Response) -> Any:
    """The JSON of a successful answer (None when it has no body)."""
    return response.json() if response.content else None
