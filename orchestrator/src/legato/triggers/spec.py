"""A Kafka-topic trigger as written, and its templates compiled.

The templates are JMESPath `${...}` strings (legato.definitions.expressions) over a record's
context: `{value, key, headers, topic, partition, offset, timestamp}`.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from legato.definitions.expressions import Template, compile_template

TRIGGER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
# Kafka's own rule for topic names (which also refuses "." and "..": RESERVED_TOPICS).
TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
RESERVED_TOPICS = frozenset({".", ".."})
RECORD_NAMES = ("value", "key", "headers", "topic", "partition", "offset", "timestamp")
ORDERINGS = ("none", "perKey")
DEFAULT_INPUT = "${value}"


@dataclass(frozen=True, slots=True)
class Templates:
    input: Template
    key: Template | None


@lru_cache(maxsize=256)
def _compiled(input_json: str, key: str | None) -> Templates:
    raw = orjson.loads(input_json)
    return Templates(
        compile_template(raw, RECORD_NAMES), None if key is None else compile_template(key, RECORD_NAMES)
    )


def templates(input_template: Any, key_template: str | None) -> Templates:
    """Raises definitions.expressions.TemplateError (with its path) for a bad template."""
    return _compiled(orjson.dumps(input_template).decode(), key_template)
