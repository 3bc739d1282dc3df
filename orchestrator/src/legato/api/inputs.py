"""The request boundary: bodies and copied headers are checked here, once (legato.payloads).

A body that is not storable JSON gets a 422 naming the field (413 when too large); a header the
API copies into a run (Idempotency-Key, X-Correlation-Id) must be short printable text.
"""

from typing import Any

import orjson
from fastapi import Request

from legato.api.errors import ApiError
from legato.payloads import JsonLimits, configured, parse_checked

MAX_HEADER_CHARS = 255


async def json_body(request: Request, max_bytes: int) -> Any:
    """The request's JSON body (None when empty), checked; one level of nesting for the envelope.

    Raises InvalidValue (422) or PayloadTooLarge (413), naming the field."""
    raw = await request.body()
    if not raw.strip():
        return None
    limits = configured()
    return parse_checked(raw, JsonLimits(max_bytes, limits.max_depth + 1), "body")


def payload_size(value: Any, where: str) -> None:
    """A value that becomes a job's payload must fit the payload limit (LEGATO_MAX_PAYLOAD_BYTES)."""
    limit = configured().max_bytes
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError as exc:  # e.g. an integer past 64 bits that a pydantic body let in
        raise ApiError(422, f"{where}: cannot be stored as JSON ({exc})") from None
    if size > limit:
        raise ApiError(413, f"{where}: {size} bytes is over the payload limit of {limit} bytes")


def copied_header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    return copied_text(value, f"header {name}")


def copied_text(value: object, where: str) -> str:
    """A text the API copies into a run (a key, a correlation id): 1-255 printable characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_HEADER_CHARS or not value.isprintable():
        raise ApiError(422, f"{where} must be 1-{MAX_HEADER_CHARS} printable characters")
    return value
