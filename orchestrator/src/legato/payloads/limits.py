"""How big and how deep a JSON value may be (LEGATO_MAX_PAYLOAD_BYTES, LEGATO_MAX_JSON_DEPTH)."""

import functools
from dataclasses import dataclass

from legato.settings import Settings

# Integers beyond a signed 64-bit range do not survive every SDK (Java long) nor orjson.
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int = 1_000_000
    max_depth: int = 64


@functools.cache
def configured() -> JsonLimits:
    """The limits this process runs with (read once from the settings)."""
    s = Settings()
    return JsonLimits(s.max_payload_bytes, s.max_json_depth)
