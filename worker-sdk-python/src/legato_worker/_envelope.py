"""Every job gets an answer: a Result is checked, capped and encoded before it is produced.

- `output` must be UTF-8-encodable JSON text of at most `max_payload_bytes` bytes, else the result
  becomes FAILED `SerializationError` / `ResultTooLarge` (non-retryable);
- the failure envelope is capped the same way in every SDK: `message` <= 4096 characters,
  `stackTrace` <= 16384 characters (cut, ending in `...[truncated]`), `details` JSON text over
  65536 bytes becomes `{"truncated": true, "bytes": <size>}`;
- strings that UTF-8 cannot encode (Python's lone surrogates) are escaped rather than lost.
"""

from __future__ import annotations

from typing import Any

from legato_protocol import Failure, Result, encode_result
from legato_worker._errors import simple_failure, to_json

MAX_MESSAGE_CHARS = 4096
MAX_STACK_CHARS = 16_384
MAX_DETAILS_BYTES = 65_536
TRUNCATED = "...[truncated]"


def truncate(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else its head ending in `...[truncated]`."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(TRUNCATED), 0)] + TRUNCATED


def utf8_safe(text: str) -> str:
    """`text` with anything UTF-8 cannot encode (lone surrogates) written as a backslash escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def cap_details(details: str | None) -> str | None:
    if details is None:
        return None
    details = utf8_safe(details)
    size = len(details.encode("utf-8"))
    if size <= MAX_DETAILS_BYTES:
        return details
    return to_json({"truncated": True, "bytes": size})


def cap_failure(failure: Failure) -> Failure:
    stack = failure["stackTrace"]
    return {
        "type": truncate(utf8_safe(failure["type"]), MAX_MESSAGE_CHARS),
        "message": truncate(utf8_safe(failure["message"]), MAX_MESSAGE_CHARS),
        "nonRetryable": failure["nonRetryable"],
        "details": cap_details(failure["details"]),
        "stackTrace": None if stack is None else truncate(utf8_safe(stack), MAX_STACK_CHARS),
    }


def _failed(result: Result, failure: Failure) -> Result:
    return {**result, "status": "FAILED", "output": None, "failure": failure}


def too_large(result: Result, size: int | None = None, limit: int | None = None) -> Result:
    """FAILED `ResultTooLarge` in place of `result`; no size/limit when Kafka refused the write."""
    if size is not None and limit is not None:
        message = (
            f"result output is {size} bytes of JSON, over the limit of {limit} bytes"
            " (LEGATO_MAX_PAYLOAD_BYTES)"
        )
    else:
        message = "Kafka rejected the result as too large (broker or topic max.message.bytes)"
    return _failed(result, simple_failure("ResultTooLarge", message, non_retryable=True))


def checked(result: Result, max_payload_bytes: int) -> Result:
    """The result to send: `result` itself, or the FAILED result replacing an unsendable output."""
    output = result["output"]
    if output is not None:
        try:
            size = len(output.encode("utf-8"))
        except UnicodeEncodeError as exc:
            failure = simple_failure(
                "SerializationError",
                f"handler returned text that cannot be encoded as UTF-8: {exc}",
                non_retryable=True,
            )
            return _failed(result, failure)
        if size > max_payload_bytes:
            return too_large(result, size, max_payload_bytes)
    if result["failure"] is not None:
        return {**result, "failure": cap_failure(result["failure"])}
    return result


def seal(result: Result, max_payload_bytes: int) -> bytes:
    """Check, cap and encode `result`; if encoding still fails, a FAILED SerializationError goes instead."""
    final = checked(result, max_payload_bytes)
    try:
        return encode_result(final)
    except Exception as exc:  # a field fastavro refuses: answer the job anyway
        failure = simple_failure(
            "SerializationError",
            truncate(utf8_safe(f"result could not be encoded: {exc!r}"), MAX_MESSAGE_CHARS),
            non_retryable=True,
        )
        safe: Any = {k: utf8_safe(v) if isinstance(v, str) else v for k, v in final.items()}
        return encode_result(_failed(safe, failure))
