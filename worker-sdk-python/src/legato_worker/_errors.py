"""The SDK's exception root and the mapping of any exception onto the Result failure envelope."""

from __future__ import annotations

import json
import traceback
from typing import Any

from legato_protocol import Failure


class ApplicationError(Exception):
    """Raise from a handler to fail the attempt with a chosen error type, retryability and details.

    `type` names the error in the failure envelope (default: the class name); the orchestrator
    matches it against a step's `nonRetryableErrors`. `details` must be JSON-serialisable.
    """

    def __init__(
        self,
        message: str,
        type: str | None = None,
        non_retryable: bool = False,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.non_retryable = non_retryable
        self.details = details


class NonRetryableError(ApplicationError):
    """An ApplicationError that always skips the remaining retries."""

    def __init__(
        self,
        message: str,
        type: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, type=type, non_retryable=True, details=details)


class AttemptCancelled(ApplicationError):
    """Raise from a handler whose attempt was cancelled (`ctx.cancelled` is set): the attempt ends
    FAILED with type `AttemptCancelled` (retryable). The orchestrator ignores the late result of a
    withdrawn or timed-out attempt; after a `WorkerShutdown` it retries the attempt elsewhere.

    `reason` is the cancellation reason (`ctx.cancel_reason`), e.g. `RunCancelled`.
    """

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason or "Cancelled"
        super().__init__(f"attempt cancelled: {self.reason}", type="AttemptCancelled")


class SerializationError(ValueError):
    """`heartbeat(details)` got details that are not strict JSON, or over 65,536 bytes of JSON text."""


class WorkerFatalError(RuntimeError):
    """The worker stopped because it cannot go on (e.g. a fatal or authorization error from Kafka).

    Raised by `Worker.start()`; the process should exit non-zero.
    """


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""What `json.dumps` with these options builds on every call; made once (it keeps no state between
calls, so threads can share it)."""


def to_json(value: Any) -> str:
    """The one JSON dialect on the wire: compact, UTF-8, no NaN/Infinity."""
    return _ENCODER.encode(value)


def failure_from_exception(exc: BaseException) -> Failure:
    """Map an exception raised by a handler onto the failure envelope (docs/protocol.md, step 4)."""
    stack = "".join(traceback.format_exception(exc))
    if isinstance(exc, ApplicationError):
        details = None
        if exc.details is not None:
            try:
                details = to_json(exc.details)
            except Exception:  # not JSON-serialisable (or too deep): keep its repr
                details = to_json(_safe_str(repr, exc.details))
        return {
            "type": exc.type or type(exc).__name__,
            "message": _safe_str(str, exc.message),
            "nonRetryable": exc.non_retryable,
            "details": details,
            "stackTrace": stack,
        }
    return {
        "type": type(exc).__name__,
        "message": _safe_str(str, exc),
        "nonRetryable": False,
        "details": None,
        "stackTrace": stack,
    }


def _safe_str(render: Any, value: Any) -> str:
    """`str`/`repr` of a value whose own `__str__`/`__repr__` may raise."""
    try:
        return str(render(value))
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def simple_failure(error_type: str, message: str, *, non_retryable: bool) -> Failure:
    """A failure raised by the SDK itself rather than by a handler (no stack trace)."""
    return {
        "type": error_type,
        "message": message,
        "nonRetryable": non_retryable,
        "details": None,
        "stackTrace": None,
    }
