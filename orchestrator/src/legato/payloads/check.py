"""Parse and check JSON text once, at the boundary.

The common case costs one orjson parse plus two substring scans: only text that could hide a
problem (a `\\u0000` escape, a long run of digits, a 3-digit exponent, deep brackets) is walked
value by value, with a path for the error message.
"""

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from legato.payloads.errors import InvalidValue, PayloadTooLarge
from legato.payloads.limits import MAX_INT, MIN_INT, JsonLimits

# A number literal that may not survive a float round trip, or an integer that may be out of range.
_SUSPECT_NUMBER = re.compile(r"[0-9.]{16,}|[eE][+-]?[0-9]{3}")


def parse_checked(text: str | bytes, limits: JsonLimits, where: str) -> Any:
    """The value of JSON `text`, or InvalidValue naming the field under `where`."""
    value = _parse(text, limits, where)
    raw = text if isinstance(text, str) else text.decode("utf-8")
    if _needs_walk(raw, limits):
        _walk(_as_written(raw, where, limits), where, limits.max_depth)
    return value


def parse_items_checked(text: str | bytes, limits: JsonLimits, where: str) -> list[Any]:
    """The items of the JSON array `text`, each checked as `parse_checked` checks a value (its depth
    counted from the item): an item that fails is its InvalidValue, in its place, named
    `where[n]...`. The text as a whole must be a valid JSON array within `limits.max_bytes`, else
    InvalidValue (PayloadTooLarge) for all of it."""
    value = _parse(text, limits, where)
    if not isinstance(value, list):
        raise InvalidValue(where, "must be a JSON array")
    raw = text if isinstance(text, str) else text.decode("utf-8")
    if "u0000" in raw or _SUSPECT_NUMBER.search(raw) is not None:
        exact = _as_written(raw, where, limits)
    else:  # only depth to check, and only in an item with more brackets than the limit
        exact = [item if _deep(item, limits) else None for item in value]
    items: list[Any] = []
    for n, (item, checked) in enumerate(zip(value, exact, strict=True)):
        try:
            _walk(checked, f"{where}[{n}]", limits.max_depth)
        except InvalidValue as exc:
            item = exc
        items.append(item)
    return items


def _parse(text: str | bytes, limits: JsonLimits, where: str) -> Any:
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise PayloadTooLarge(where, f"{size} bytes is over the limit of {limits.max_bytes} bytes")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidValue(where, f"not valid JSON ({exc})") from None


def _as_written(raw: str, where: str, limits: JsonLimits) -> Any:
    """The value with its numbers as written (Decimal), to check they survive a round trip."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_int=int)
    except RecursionError:  # deeper than Python's parser goes (orjson goes deeper): far over the limit
        raise InvalidValue(where, f"nested deeper than {limits.max_depth} levels") from None


def _deep(item: Any, limits: JsonLimits) -> bool:
    """Whether an item may nest deeper than the limit: it has more brackets than the limit."""
    if not isinstance(item, dict | list):
        return False
    try:
        text = orjson.dumps(item)
    except orjson.JSONEncodeError:  # deeper than orjson writes (254): walk it
        return True
    return text.count(b"[") + text.count(b"{") > limits.max_depth


def dumps_checked(value: Any, limits: JsonLimits, where: str) -> str:
    """JSON text of a value computed here (rendered templates, gathered outputs), within the limits."""
    try:
        data = orjson.dumps(value)
    except (orjson.JSONEncodeError, RecursionError) as exc:
        raise InvalidValue(where, f"cannot be written as JSON ({exc})") from None
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(where, f"{len(data)} bytes is over the limit of {limits.max_bytes} bytes")
    text = data.decode()
    if _needs_walk(text, limits):
        _walk(json.loads(text, parse_float=Decimal, parse_int=int), where, limits.max_depth)
    return text


def _needs_walk(text: str, limits: JsonLimits) -> bool:
    return (
        "u0000" in text
        or text.count("[") + text.count("{") > limits.max_depth
        or _SUSPECT_NUMBER.search(text) is not None
    )


def _walk(root: Any, where: str, max_depth: int) -> None:
    stack: list[tuple[Any, str, int]] = [(root, where, 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            _container(path, depth, max_depth)
            for key, item in value.items():
                _string(key, f"{path} (a key)")
                stack.append((item, f"{path}.{key}" if _plain(key) else f"{path}[{key!r}]", depth + 1))
        elif isinstance(value, list):
            _container(path, depth, max_depth)
            stack.extend((item, f"{path}[{n}]", depth + 1) for n, item in enumerate(value))
        elif isinstance(value, str):
            _string(value, path)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not MIN_INT <= value <= MAX_INT:
                raise InvalidValue(path, "integer outside the signed 64-bit range; send it as a string")
        elif isinstance(value, Decimal):
            _exact(value, path)


def _container(path: str, depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise InvalidValue(path, f"nested deeper than {max_depth} levels")


def _string(value: str, path: str) -> None:
    if "\x00" in value:
        raise InvalidValue(path, "contains a NUL character (\\u0000), which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(path, "contains a lone UTF-16 surrogate, which is not valid Unicode") from None


def _exact(value: Decimal, path: str) -> None:
    as_float = float(value)
    try:
        same = Decimal(repr(as_float)) == value
    except InvalidOperation:  # inf or nan
        same = False
    if not same:
        raise InvalidValue(
            path, f"number {value} does not survive a round trip as a 64-bit float; send it as a string"
        )


def _plain(key: str) -> bool:
    return key.isidentifier()
