"""Avro binary codecs compiled from a record schema: the codec's fast path.

fastavro interprets the schema for every message (a dispatch per field); for the few, flat records
of this protocol that is most of the cost of a message. `compile_codec` turns one schema into two
plain Python functions, generated once from its fields, that write and read exactly the bytes of
the Avro binary encoding (the same bytes as fastavro: the encoding of a value is unique).

They only take the plain case and raise on anything else: a value of another type than the schema's
(fastavro would coerce some, e.g. a bool for an int), an int out of its 32/64-bit range, a missing
field, a union branch or enum symbol that does not fit, truncated or corrupt bytes. The caller
(`_codec._Registry`) then runs fastavro on the same message, so every case that is not plain
behaves exactly as before, errors and their messages included.

Supported schemas: records whose fields are null, boolean, int, long, string, enums, records of
these, and unions of null and one of them. `compile_codec` returns None for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes, int], Any]
"""(data, position of the record's first byte) -> the record, as fastavro returns it."""

INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1
_PRIMITIVE = ("null", "boolean", "int", "long", "string")


class Unsupported(ValueError):
    """A schema this module does not compile (fastavro handles it)."""


class NotPlain(ValueError):
    """A value or message the compiled code does not take; the caller uses fastavro instead."""


# --- helpers the generated code calls ----------------------------------------------------------

_ONE_BYTE = [bytes((i,)) for i in range(128)]


def long_bytes(n: int) -> bytes:
    """The zigzag varint of a signed 64-bit `n` (range checked by the caller)."""
    n = (n << 1) ^ (n >> 63)
    if n < 0x80:
        return _ONE_BYTE[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """The zigzag varint at `pos`: (value, position after it); at most 10 bytes."""
    b = data[pos]
    n = b & 0x7F
    shift = 7
    pos += 1
    while b & 0x80:
        if shift > 63:
            raise NotPlain("varint longer than 10 bytes")
        b = data[pos]
        n |= (b & 0x7F) << shift
        shift += 7
        pos += 1
    return (n >> 1) ^ -(n & 1), pos


def not_plain(what: str) -> NotPlain:
    return NotPlain(what)


# --- the generator -----------------------------------------------------------------------------


class _Writer:
    """Lines of Python source, indented."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self._names = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"


def _resolve(schema: Any, named: dict[str, Any], namespace: str) -> Any:
    """`schema` with a reference to a named type replaced by its definition; records and enums
    are registered under their full name on the way."""
    if isinstance(schema, str):
        if schema in _PRIMITIVE:
            return schema
        full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
        for key in (full, schema):
            if key in named:
                return named[key]
        raise Unsupported(f"unknown or unsupported type {schema!r}")
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum"):
            if schema.get("logicalType") is not None:
                raise Unsupported("logical types")
            name = schema["name"]
            space = schema.get("namespace", namespace)
            full = name if "." in name or not space else f"{space}.{name}"
            named[full] = schema
            named.setdefault(name, schema)
            return schema
        if kind in _PRIMITIVE and len(schema.keys() - {"type", "doc"}) == 0:
            return kind
        raise Unsupported(f"unsupported type {kind!r}")
    if isinstance(schema, list):
        return schema
    raise Unsupported(f"unsupported schema {schema!r}")


def _null_union(branches: list[Any], named: dict[str, Any], namespace: str) -> tuple[int, Any]:
    """(index of null, the other branch) of a union of null and one other type."""
    if len(branches) != 2:
        raise Unsupported("unions of more than two branches")
    resolved = [_resolve(b, named, namespace) for b in branches]
    if resolved[0] == "null" and resolved[1] != "null" and not isinstance(resolved[1], list):
        return 0, resolved[1]
    if resolved[1] == "null" and resolved[0] != "null" and not isinstance(resolved[0], list):
        return 1, resolved[0]
    raise Unsupported("unions other than null and one type")


class _Compiler:
    def __init__(self) -> None:
        self.named: dict[str, Any] = {}
        self.constants: dict[str, Any] = {}

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    # encoding: `value` is an expression naming the value to write; bytes go to `put(...)`

    def encode(self, w: _Writer, schema: Any, value: str, namespace: str) -> None:
        schema = _resolve(schema, self.named, namespace)
        if schema == "null":
            w(f"if {value} is not None: raise not_plain('null')")
        elif schema == "boolean":
            w(f"if {value} is True: put(b'\\x01')")
            w(f"elif {value} is False: put(b'\\x00')")
            w("else: raise not_plain('boolean')")
        elif schema in ("int", "long"):
            low, high = ("INT_MIN", "INT_MAX") if schema == "int" else ("LONG_MIN", "LONG_MAX")
            w(f"if type({value}) is not int or not {low} <= {value} <= {high}: raise not_plain('{schema}')")
            w(f"put(long_bytes({value}))")
        elif schema == "string":
            raw = w.name("b")
            w(f"if type({value}) is not str: raise not_plain('string')")
            w(f"{raw} = {value}.encode()")
            w(f"put(long_bytes(len({raw})))")
            w(f"put({raw})")
        elif isinstance(schema, list):
            null_at, other = _null_union(schema, self.named, namespace)
            null_byte, other_byte = ("b'\\x00'", "b'\\x02'") if null_at == 0 else ("b'\\x02'", "b'\\x00'")
            w(f"if {value} is None:")
            w.depth += 1
            w(f"put({null_byte})")
            w.depth -= 1
            w("else:")
            w.depth += 1
            w(f"put({other_byte})")
            self.encode(w, other, value, namespace)
            w.depth -= 1
        elif schema["type"] == "enum":
            index = {symbol: long_bytes(i) for i, symbol in enumerate(schema["symbols"])}
            table = self.constant(index)
            w(f"put({table}[{value}])")  # KeyError (an unknown symbol, a non-str) -> fastavro
        else:  # a record
            space = schema.get("namespace", namespace)
            record = w.name("r")
            w(f"{record} = {value}")
            w(f"if type({record}) is not dict: raise not_plain('record')")
            for field in schema["fields"]:
                item = w.name("v")
                w(f"{item} = {record}[{field['name']!r}]")  # missing: KeyError -> fastavro
                self.encode(w, field["type"], item, space)

    # decoding: assigns the value read to the variable `target`; `pos` moves on

    def decode(self, w: _Writer, schema: Any, target: str, namespace: str) -> None:
        schema = _resolve(schema, self.named, namespace)
        if schema == "null":
            w(f"{target} = None")
        elif schema == "boolean":
            byte = w.name("c")
            w(f"{byte} = data[pos]")
            w("pos += 1")
            w(f"if {byte} > 1: raise not_plain('boolean')")
            w(f"{target} = {byte} == 1")
        elif schema in ("int", "long"):
            self._varint(w, target)
            if schema == "int":
                w(f"if not INT_MIN <= {target} <= INT_MAX: raise not_plain('int')")
        elif schema == "string":
            size, end = w.name("n"), w.name("e")
            self._varint(w, size)
            w(f"{end} = pos + {size}")
            w(f"if {size} < 0 or {end} > len(data): raise not_plain('string')")
            w(f"{target} = data[pos:{end}].decode()")
            w(f"pos = {end}")
        elif isinstance(schema, list):
            null_at, other = _null_union(schema, self.named, namespace)
            byte = w.name("c")
            w(f"{byte} = data[pos]")
            w("pos += 1")
            w(f"if {byte} == {2 * null_at}:")
            w.depth += 1
            w(f"{target} = None")
            w.depth -= 1
            w(f"elif {byte} == {2 * (1 - null_at)}:")
            w.depth += 1
            self.decode(w, other, target, namespace)
            w.depth -= 1
            w("else: raise not_plain('union')")
        elif schema["type"] == "enum":
            symbols = self.constant(tuple(schema["symbols"]))
            index = w.name("i")
            self._varint(w, index)
            w(f"if not 0 <= {index} < {len(schema['symbols'])}: raise not_plain('enum')")
            w(f"{target} = {symbols}[{index}]")
        else:  # a record
            space = schema.get("namespace", namespace)
            names = []
            for field in schema["fields"]:
                item = w.name("f")
                self.decode(w, field["type"], item, space)
                names.append((field["name"], item))
            w(f"{target} = {{{', '.join(f'{name!r}: {item}' for name, item in names)}}}")

    @staticmethod
    def _varint(w: _Writer, target: str) -> None:
        """The common one-byte varint inline; longer ones through `read_long`."""
        w(f"{target} = data[pos]")
        w(f"if {target} < 0x80:")
        w.depth += 1
        w("pos += 1")
        w(f"{target} = ({target} >> 1) ^ -({target} & 1)")
        w.depth -= 1
        w("else:")
        w.depth += 1
        w(f"{target}, pos = read_long(data, pos)")
        w.depth -= 1


def compile_codec(schema: Any, prefix: bytes = b"") -> tuple[Encoder, Decoder] | None:
    """(encode, decode) of a record schema (JSON form), or None when it has a type this module
    does not compile. `encode` returns `prefix` followed by the record's bytes."""
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    compiler = _Compiler()
    try:
        enc = _Writer()
        enc("out = [PREFIX]")
        enc("put = out.append")
        compiler.encode(enc, schema, "datum", "")
        enc("return b''.join(out)")
        compiler.named.clear()
        dec = _Writer()
        compiler.decode(dec, schema, "record", "")
        dec("return record")
    except Unsupported:
        return None
    source = "\n".join(["def encode(datum):", *enc.lines, "", "def decode(data, pos):", *dec.lines, ""])
    scope: dict[str, Any] = {
        "PREFIX": prefix,
        "INT_MIN": INT_MIN,
        "INT_MAX": INT_MAX,
        "LONG_MIN": LONG_MIN,
        "LONG_MAX": LONG_MAX,
        "long_bytes": long_bytes,
        "read_long": read_long,
        "not_plain": not_plain,
        **compiler.constants,
    }
    exec(compile(source, f"<avro codec {schema.get('name')}>", "exec"), scope)
    return scope["encode"], scope["decode"]
