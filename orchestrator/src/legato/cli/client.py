"""The CLI's HTTP client: one request to the Legato API, its JSON back, and every failure turned into
a one-line error with the exit code of its kind (docs/cli.md)."""

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import quote

import httpx
import typer

from legato import __version__

DEFAULT_API = "http://localhost:8080"
TIMEOUT_S = 30.0


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
    return ExitCode.FAILED  # 409 (the run already ended, a request in flight), anything else


class Client:
    """Requests to one API. Every method answers the response's JSON or raises CliError."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float = TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
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
        try:
            response = self._http.request(
                method,
                path,
                params=query,
                content=None if body is None else json.dumps(body),
                headers={
                    **({"Content-Type": "application/json"} if body is not None else {}),
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
            raise CliError(
                f"cannot reach the API at {self.base_url} ({type(exc).__name__}: {exc}); "
                "is `legato serve` running? (set --api or LEGATO_API_URL)",
                ExitCode.UNAVAILABLE,
            ) from None
        if response.status_code >= 400:
            message = _message(response)
            if response.status_code == 401:
                message += " (give a key with --api-key or LEGATO_API_KEY)"
            raise CliError(f"{message} (HTTP {response.status_code})", _code(response.status_code))
        return response

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


def connect(ctx: typer.Context) -> Client:
    g = globals_of(ctx)
    return Client(g.api, g.api_key)


def seg(value: str) -> str:
    """One path segment, escaped (ids may hold characters a URL reserves)."""
    return quote(value, safe="")
