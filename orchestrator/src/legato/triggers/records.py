"""A record of a trigger's topic, read: the run it asks for, or why it cannot have one.

The context of the templates is `{value, key, headers, topic, partition, offset, timestamp}`:
`value` is the record's value parsed as JSON, `key` and the headers' values are text (UTF-8;
None when absent), `timestamp` is the record's, in ms since the epoch. A record whose value is
not JSON, whose templates fail, whose input fails the payload checks, or whose idempotency key
(when the trigger has one) renders null or not to text or a number is dead: it goes to the
trigger's dead-letter topic with the reason.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Message

from legato.definitions.expressions import ExpressionError
from legato.payloads import InvalidValue, JsonLimits, PayloadTooLarge, dumps_checked
from legato.triggers.spec import Templates

MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Taken:
    """A record that starts a run (or waits for its key's)."""

    partition: int
    offset: int
    input: str  # JSON text, checked
    idempotency_key: str | None
    ordering_key: str | None
    source: dict[str, Any]  # topic, partition, offset: in the run's RUN_CREATED event


@dataclass(frozen=True, slots=True)
class Dead:
    """A record that cannot start a run: `error_type` and `message` say why."""

    partition: int
    offset: int
    error_type: str  # NotJson | TemplateError | InvalidInput | PayloadTooLarge | InvalidKey
    message: str
    record: Message


def _text(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd")  # PostgreSQL text holds no NUL


def context(msg: Message, value: Any) -> dict[str, Any]:
    headers = {name: _text(v) for name, v in (msg.headers() or [])}
    _, timestamp = msg.timestamp()
    return {
        "value": value,
        "key": _text(msg.key()),
        "headers": headers,
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "timestamp": timestamp,
    }


def read(msg: Message, templates: Templates, limits: JsonLimits, ordered: bool) -> Taken | Dead:
    partition, offset = msg.partition() or 0, msg.offset() or 0
    raw = msg.value()
    if raw is None:
        return Dead(partition, offset, "NotJson", "the record has no value", msg)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Dead(partition, offset, "NotJson", f"the record's value is not JSON: {exc}", msg)
    ctx = context(msg, value)
    try:
        rendered = templates.input.render(ctx)
        key = templates.key.render(ctx) if templates.key is not None else None
    except (ExpressionError, ValueError, TypeError) as exc:
        return Dead(partition, offset, "TemplateError", f"a template failed: {exc}", msg)
    try:
        text = dumps_checked(rendered, limits, "input")
    except InvalidValue as exc:
        kind = "PayloadTooLarge" if isinstance(exc, PayloadTooLarge) else "InvalidInput"
        return Dead(partition, offset, kind, str(exc), msg)
    if templates.key is not None and key is None:
        return Dead(
            partition, offset, "InvalidKey", "the idempotency key rendered null (a field missing?)", msg
        )
    if key is not None and (isinstance(key, bool) or not isinstance(key, str | int | float)):
        return Dead(
            partition, offset, "InvalidKey", f"the idempotency key is {type(key).__name__}, not text", msg
        )
    idempotency_key = None if key is None else str(key)
    if idempotency_key is not None and (not 0 < len(idempotency_key) <= MAX_KEY or "\x00" in idempotency_key):
        return Dead(
            partition,
            offset,
            "InvalidKey",
            f"the idempotency key must be 1-{MAX_KEY} characters, no NUL",
            msg,
        )
    ordering_key = ctx["key"] if ordered else None
    source = {"topic": msg.topic(), "partition": partition, "offset": offset}
    return Taken(partition, offset, text, idempotency_key, ordering_key, source)
