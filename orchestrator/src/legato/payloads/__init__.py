"""JSON values that cross a boundary (trigger inputs, worker outputs, definitions, replay payloads).

Checked once where they enter, so everything behind the boundary can trust them: valid JSON,
storable by PostgreSQL's jsonb (no NUL character, no lone surrogate), numbers that survive a round
trip exactly, bounded nesting depth and bounded size.
"""

from legato.payloads.check import dumps_checked, parse_checked, parse_items_checked
from legato.payloads.errors import InvalidValue, PayloadTooLarge
from legato.payloads.limits import JsonLimits, configure, configured
from legato.payloads.text import clean_text

__all__ = [
    "InvalidValue",
    "JsonLimits",
    "PayloadTooLarge",
    "clean_text",
    "configure",
    "configured",
    "dumps_checked",
    "parse_checked",
    "parse_items_checked",
]
