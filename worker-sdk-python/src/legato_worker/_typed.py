"""Typed handlers: a handler's type hints convert its input and output at the SDK boundary.

`def charge(order: Order) -> Receipt` (a pydantic model, a dataclass, a TypedDict, or anything
pydantic's `TypeAdapter` takes): the payload is validated into an `Order` before the handler runs,
and what it returns is validated as a `Receipt` and dumped to JSON (`mode="json"`) after. Either
failing is a non-retryable attempt failure of type `InvalidPayload` whose message says which side
and which field (`input: total: Input should be a valid number`).

Unannotated parameters, `Any`, `object` and plain JSON types (`dict`, `list[Any]`, `str`, ...,
`int | None`) convert nothing: such a handler is registered as it is, at no cost per job. The
adapters are built once, at registration; pydantic is imported only for a typed handler.
"""

from __future__ import annotations

import collections.abc
import inspect
import logging
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from legato_worker._errors import NonRetryableError

if typing.TYPE_CHECKING:
    from pydantic import TypeAdapter

log = logging.getLogger("legato_worker")

INVALID_PAYLOAD = "InvalidPayload"
MAX_LISTED_ERRORS = 5

_PLAIN: frozenset[Any] = frozenset(
    {
        Any,
        object,
        dict,
        list,
        str,
        int,
        float,
        bool,
        type(None),
        None,
        collections.abc.Mapping,
        collections.abc.Sequence,
    }
)
_UNIONS = (typing.Union, types.UnionType)
_AWAITABLES = (collections.abc.Awaitable, collections.abc.Coroutine)


class InvalidPayload(NonRetryableError):
    """A typed handler's input or output does not fit its type hint (never retried: the same
    payload would fail the same way). `details` lists pydantic's errors (`loc`, `msg`, `type`)."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message, type=INVALID_PAYLOAD, details=details)


def is_plain(hint: Any) -> bool:
    """A hint that asks for no conversion: Any, object, a JSON type, or unions and generics of them."""
    if hint in _PLAIN or hint is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(hint)
    if origin is not None and (origin in _UNIONS or origin in _PLAIN):
        return all(arg is Ellipsis or is_plain(arg) for arg in typing.get_args(hint))
    return False


class Converter:
    """Validates a typed handler's input and/or output (None: that side is not converted)."""

    __slots__ = ("_errors", "_input", "_output", "_unserialisable")

    def __init__(self, input_hint: Any, output_hint: Any) -> None:
        from pydantic import TypeAdapter, ValidationError
        from pydantic_core import PydanticSerializationError

        self._input: TypeAdapter[Any] | None = None if input_hint is None else TypeAdapter(input_hint)
        self._output: TypeAdapter[Any] | None = None if output_hint is None else TypeAdapter(output_hint)
        self._errors = ValidationError
        self._unserialisable = PydanticSerializationError

    def input(self, payload: Any) -> Any:
        if self._input is None:
            return payload
        try:
            return self._input.validate_python(payload)
        except self._errors as exc:
            raise _invalid("input", exc) from None

    def output(self, value: Any) -> Any:
        if self._output is None:
            return value
        try:
            return self._output.dump_python(self._output.validate_python(value), mode="json")
        except self._errors as exc:
            raise _invalid("output", exc) from None
        except self._unserialisable as exc:
            raise InvalidPayload(f"output: {exc}") from None


def _invalid(side: str, exc: Any) -> InvalidPayload:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    listed = [f"{side}: {_loc(e['loc'])}{e['msg']}" for e in errors[:MAX_LISTED_ERRORS]]
    more = len(errors) - MAX_LISTED_ERRORS
    message = "; ".join(listed) + (f" (and {more} more)" if more > 0 else "")
    details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    return InvalidPayload(message, details)


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(map(str, loc)) + ": " if loc else ""


def converter(handler: Callable[..., Any]) -> Converter | None:
    """The converter `handler`'s hints ask for, or None when they ask for none (or cannot be read:
    an annotation that does not resolve, e.g. a name imported only under TYPE_CHECKING, is left
    alone, as before typed handlers). Raises TypeError for a hint pydantic cannot validate."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return None
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    scope = _globals(handler)
    input_hint = _resolve(positional[0].annotation, scope, handler) if positional else None
    output_hint = _unwrap_awaitable(_resolve(signature.return_annotation, scope, handler))
    input_hint = None if is_plain(input_hint) else input_hint
    output_hint = None if is_plain(output_hint) else output_hint
    if input_hint is None and output_hint is None:
        return None
    try:
        return Converter(input_hint, output_hint)
    except Exception as exc:  # PydanticSchemaGenerationError, PydanticUserError, ...
        raise TypeError(f"handler {_name(handler)}: cannot validate its type hints: {exc}") from exc


def _globals(handler: Callable[..., Any]) -> dict[str, Any]:
    target = inspect.unwrap(handler)
    if not inspect.isfunction(target) and not inspect.ismethod(target):
        target = getattr(type(target), "__call__", target)  # noqa: B004 - callable objects
    return dict(getattr(target, "__globals__", {}))


def _resolve(hint: Any, scope: dict[str, Any], handler: Callable[..., Any]) -> Any:
    if hint is inspect.Parameter.empty or hint is inspect.Signature.empty:
        return None
    if isinstance(hint, str):  # `from __future__ import annotations`
        try:
            return eval(hint, scope)  # the handler module's own annotation text, as typing does
        except Exception as exc:
            log.warning("handler %s: hint %r not resolved (%s): not converted", _name(handler), hint, exc)
            return None
    return hint


def _unwrap_awaitable(hint: Any) -> Any:
    if typing.get_origin(hint) in _AWAITABLES:
        args = typing.get_args(hint)
        return args[-1] if args else None
    return hint


def _name(handler: Callable[..., Any]) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)


def typed(handler: Callable[..., Any], convert: Converter, is_async: bool) -> Callable[..., Any]:
    """`handler` with its input converted before it runs and its output after. The wrapper takes
    `(payload)` or `(payload, ctx)` as the handler does, and is a coroutine function when it is:
    the worker calls it exactly as it would call `handler` (its Registered entry says how)."""
    if is_async:

        async def run_async(payload: Any, *ctx: Any) -> Any:
            value = handler(convert.input(payload), *ctx)
            if inspect.isawaitable(value):
                value = await value
            return convert.output(value)

        return run_async

    def run_sync(payload: Any, *ctx: Any) -> Any:
        value = handler(convert.input(payload), *ctx)
        if type(value) not in _JSON and inspect.isawaitable(value):
            return _then_convert(value, convert)
        return convert.output(value)

    return run_sync


_JSON = frozenset({dict, list, str, int, float, bool, type(None)})


async def _then_convert(value: Awaitable[Any], convert: Converter) -> Any:
    return convert.output(await value)
