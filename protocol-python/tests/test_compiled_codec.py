"""The compiled codec (`_compiled.py`) writes and reads exactly what fastavro does, and leaves every
case it does not take (other types, older writers, corrupt bytes) to fastavro, errors included."""

import io
from typing import Any

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato_protocol import DecodeError, decode_job, decode_result, encode_job, encode_progress, encode_result
from legato_protocol._codec import HEADER_LEN, MAGIC, _registry
from legato_protocol._compiled import NotPlain, compile_codec, long_bytes, read_long

pytestmark = pytest.mark.unit

NAMES = ("Job", "Result", "Progress", "Cancel")
INT = st.integers(-(1 << 31), (1 << 31) - 1)
LONG = st.integers(-(1 << 63), (1 << 63) - 1)
TEXT = st.text()  # any code point but lone surrogates
NAMED_TYPES: dict[str, Any] = {}


def values(schema: Any) -> st.SearchStrategy[Any]:
    """Every value fastavro writes for `schema` (a parsed one), as plain Python values."""
    if isinstance(schema, list):
        return st.one_of(*(values(branch) for branch in schema))
    if isinstance(schema, str):
        primitive = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": INT,
            "long": LONG,
            "string": TEXT,
        }.get(schema)
        return values(NAMED_TYPES[schema]) if primitive is None else primitive
    if schema["type"] == "enum":
        NAMED_TYPES[schema["name"]] = schema
        return st.sampled_from(schema["symbols"])
    if schema["type"] == "record":
        NAMED_TYPES[schema["name"]] = schema
        return st.fixed_dictionaries({f["name"]: values(f["type"]) for f in schema["fields"]})
    return values(schema["type"])


def by_fastavro(name: str, datum: Any) -> bytes:
    _, schema, fp = _registry.latest[name]
    buf = io.BytesIO()
    buf.write(MAGIC + fp)
    fastavro.schemaless_writer(buf, schema, datum)
    return buf.getvalue()


def read_by_fastavro(name: str, data: bytes) -> Any:
    schema = _registry.latest[name][1]
    return fastavro.schemaless_reader(io.BytesIO(data[HEADER_LEN:]), schema, None)


def test_every_newest_schema_is_compiled() -> None:
    assert sorted(_registry.encoders) == sorted(NAMES)
    assert set(_registry.decoders) == {_registry.latest[n][2] for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_the_same_bytes_and_values_as_fastavro(name: str, data: st.DataObject) -> None:
    datum = data.draw(values(_registry.latest[name][1]))
    encoded = _registry.encoders[name](datum)
    assert encoded == by_fastavro(name, datum)
    decoded = _registry.decoders[_registry.latest[name][2]](encoded, HEADER_LEN)
    assert decoded == read_by_fastavro(name, encoded) == datum
    fields = [f["name"] for f in _registry.latest[name][1]["fields"]]
    assert list(decoded) == fields  # in schema order, as fastavro returns them


@given(LONG)
def test_varints_round_trip(n: int) -> None:
    raw = long_bytes(n)
    assert read_long(raw + b"\xff", 0) == (n, len(raw))
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, {"type": "long"}, n)
    assert raw == buf.getvalue()


def job(**fields: Any) -> dict[str, Any]:
    return {
        "jobId": "j",
        "runId": "r",
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "payload": "{}",
        "workflowId": "w",
        "workflowVersion": 1,
        "queue": "q",
        "traceparent": None,
        "correlationId": None,
        "createdAt": 1,
        "deadlineAt": None,
        "startToCloseMs": None,
        "heartbeatTimeoutMs": None,
        "lastHeartbeatDetails": None,
        **fields,
    }


@pytest.mark.parametrize(
    "odd",
    [
        {"attempt": True},  # fastavro writes a bool as an int
        {"attempt": 1 << 40},  # out of the int range: whatever fastavro makes of it
        {"deadlineAt": 2.0},
    ],
    ids=["bool-for-int", "int-out-of-range", "float-for-long"],
)
def test_values_of_other_types_are_fastavros_to_write(odd: dict[str, Any]) -> None:
    datum = job(**odd)
    with pytest.raises(NotPlain):
        _registry.encoders["Job"](datum)
    try:
        expected: bytes | type[Exception] = by_fastavro("Job", datum)
    except Exception as exc:  # the same error as before the compiled codec
        expected = type(exc)
    if isinstance(expected, bytes):
        assert encode_job(datum) == expected  # type: ignore[arg-type]
    else:
        with pytest.raises(expected):
            encode_job(datum)  # type: ignore[arg-type]


def test_missing_fields_take_fastavros_defaults() -> None:
    datum = job()
    for field in ("startToCloseMs", "heartbeatTimeoutMs", "lastHeartbeatDetails"):  # v1-shaped
        del datum[field]
    assert encode_job(datum) == by_fastavro("Job", datum)  # type: ignore[arg-type]
    assert decode_job(encode_job(datum)) == job()  # type: ignore[arg-type]


def test_unencodable_text_still_raises() -> None:
    result = {
        "jobId": "\ud800",
        "runId": "r",
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "status": "COMPLETED",
        "output": None,
        "failure": None,
        "workerId": "w",
        "sdk": "python",
        "traceparent": None,
        "correlationId": None,
        "startedAt": 1,
        "finishedAt": 2,
    }
    with pytest.raises(UnicodeEncodeError):
        _registry.encoders["Result"](result)
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        by_fastavro("Result", result)
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        encode_result(result)  # type: ignore[arg-type]


def test_an_unknown_enum_symbol_is_fastavros_error() -> None:
    progress = {
        "jobId": "j",
        "runId": "r",
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "kind": "FINISHED",
        "details": None,
        "reason": None,
        "workerId": "w",
        "sdk": "python",
        "startedAt": 1,
        "at": 2,
    }
    with pytest.raises(KeyError):
        _registry.encoders["Progress"](progress)
    with pytest.raises(ValueError, match="'FINISHED' is not in list"):  # as fastavro always said
        encode_progress(progress)  # type: ignore[arg-type]


def corrupt_bodies() -> list[bytes]:
    good = encode_result(
        {
            "jobId": "j",
            "runId": "r",
            "stepId": "s",
            "attempt": 1,
            "action": "a",
            "status": "COMPLETED",
            "output": "{}",
            "failure": None,
            "workerId": "w",
            "sdk": "python",
            "traceparent": None,
            "correlationId": None,
            "startedAt": 1,
            "finishedAt": 2,
        }
    )
    return [
        good[:-3],  # truncated
        good[:HEADER_LEN] + b"\x7f" + good[HEADER_LEN + 1 :],  # a negative string length
        good[:HEADER_LEN] + b"\xc8\x01" + good[HEADER_LEN + 1 :],  # a string past the end
        good[:HEADER_LEN] + b"\x02\xff\xfe" + good[HEADER_LEN + 3 :],  # not UTF-8
    ]


@pytest.mark.parametrize("body", corrupt_bodies(), ids=["truncated", "negative", "past-end", "not-utf8"])
def test_corrupt_bytes_get_fastavros_answer(body: bytes) -> None:
    decoder = _registry.decoders[body[2:HEADER_LEN]]
    with pytest.raises((IndexError, ValueError)):  # a byte past the end, NotPlain, not UTF-8
        decoder(body, HEADER_LEN)
    try:
        expected: Any = read_by_fastavro("Result", body)
    except Exception:
        with pytest.raises(DecodeError, match="corrupt Result body"):
            decode_result(body)
    else:  # fastavro reads it some way: so does the codec, as before
        assert decode_result(body) == expected


def test_unsupported_schemas_are_not_compiled() -> None:
    assert compile_codec({"type": "record", "name": "F", "fields": [{"name": "x", "type": "double"}]}) is None
    union = {"type": "record", "name": "U", "fields": [{"name": "x", "type": ["null", "int", "string"]}]}
    assert compile_codec(union) is None
    assert compile_codec({"type": "enum", "name": "E", "symbols": ["A"]}) is None
