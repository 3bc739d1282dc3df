"""How big and how deep a JSON value may be (LEGATO_MAX_PAYLOAD_BYTES, LEGATO_MAX_JSON_DEPTH)."""

from dataclasses import dataclass

# Integers beyond a signed 64-bit range do not survive every SDK (Java long) nor orjson.
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int = 1_000_000
    max_depth: int = 64


_configured = JsonLimits()


def configure(limits: JsonLimits) -> None:
    """Set the limits this process runs with: once, at start, from its settings (`legato serve`
    and the engine process). Until then the defaults hold."""
    global _configured
    _configured = limits


def configured() -> JsonLimits:
    """The limits this process runs with."""
    return _configured
