"""Canonical JSON: the bytes every SDK's builder writes for the same workflow
(tests/conformance/builders): keys sorted by code point, no whitespace, UTF-8 characters as
themselves, integers without a fraction, other numbers in their shortest round-trip form."""

from __future__ import annotations

import json
from typing import Any

_EXACT_INTEGERS = 2**53
"""Floats below this magnitude that hold an integer are written as that integer (30.0 -> 30):
every integer there is exact in a 64-bit float, so the value is the same in every language."""


def canonical_json(value: Any) -> str:
    """`value` (JSON: dict with str keys, list/tuple, str, int, float, bool, None) as canonical
    JSON text; ValueError for NaN or infinity."""
    return json.dumps(
        _integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _integral(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INTEGERS:
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(v) for v in value]
    return value
