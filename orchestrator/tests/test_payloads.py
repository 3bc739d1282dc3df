"""The boundary checks of JSON values (legato.payloads), hunted with Hypothesis."""

import json
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legato.payloads import (
    InvalidValue,
    JsonLimits,
    PayloadTooLarge,
    clean_text,
    dumps_checked,
    parse_checked,
    parse_items_checked,
)

pytestmark = pytest.mark.unit

LIMITS = JsonLimits(max_bytes=100_000, max_depth=16)

storable_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text
)
storable = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@given(storable)
def test_storable_values_pass_unchanged(value: Any) -> None:
    text = orjson.dumps(value).decode()
    if depth(value) > LIMITS.max_depth:
        with pytest.raises(InvalidValue):
            parse_checked(text, LIMITS, "v")
        return
    assert parse_checked(text, LIMITS, "v") == value
    assert dumps_checked(value, LIMITS, "v") == text


@given(storable, st.integers(min_value=0, max_value=10))
def test_a_nul_anywhere_is_refused_with_its_path(value: Any, where: int) -> None:
    poisoned = {"ok": value, "bad": ["x"] * where + ["a\x00b"]}
    with pytest.raises(InvalidValue) as err:
        parse_checked(orjson.dumps(poisoned).decode(), JsonLimits(100_000, 64), "input")
    assert err.value.path == f"input.bad[{where}]" and "NUL" in err.value.problem


@given(st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True))
def test_an_accepted_number_survives_the_round_trip_exactly(literal: str) -> None:
    try:
        value = parse_checked(f'{{"n": {literal}}}', LIMITS, "input")
    except InvalidValue as exc:
        where = exc.path
        assert where in ("input.n", "input")
        return
    parsed = json.loads(literal, parse_float=Decimal)
    assert (
        Decimal(repr(value["n"])) == Decimal(parsed)
        if isinstance(value["n"], float)
        else value["n"] == parsed
    )
    assert json.loads(orjson.dumps(value["n"]), parse_float=Decimal) == parsed


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ('{"a": 0.1000000000000000000001}', "input.a", "round trip"),
        ('{"a": 12345678901234567890}', "input.a", "64-bit"),
        ('{"a": [1e-400]}', "input.a[0]", "round trip"),
        ('{"a": 1e400}', "input", "infinity"),
        ('{"a": NaN}', "input", "not valid JSON"),
        ('"\\ud800"', "input", "not valid JSON"),
        ('{"a": "\\u0000"}', "input.a", "NUL"),
        ('{"a\\u0000": 1}', "input (a key)", "NUL"),
        ("[" * 17 + "]" * 17, "input" + "[0]" * 16, "deeper than 16"),
        ("{", "input", "not valid JSON"),
    ],
)
def test_unstorable_values_are_named(text: str, path: str, words: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_checked(text, LIMITS, "input")
    assert err.value.path == path and words in err.value.problem


def test_size_is_counted_in_utf8_bytes() -> None:
    text = orjson.dumps("é" * 600).decode()  # 1202 bytes, 602 characters
    with pytest.raises(PayloadTooLarge, match="1202 bytes is over the limit of 1000"):
        parse_checked(text, JsonLimits(1000, 4), "output")
    with pytest.raises(PayloadTooLarge):
        dumps_checked("é" * 600, JsonLimits(1000, 4), "output")
    assert parse_checked(text, JsonLimits(1202, 4), "output") == "é" * 600


def test_escaped_backslash_u0000_is_plain_text() -> None:
    assert parse_checked('{"a": "\\\\u0000"}', LIMITS, "v") == {"a": "\\u0000"}


@given(st.text(), st.integers(min_value=20, max_value=200))
@settings(max_examples=300)
def test_clean_text_is_always_storable_and_bounded(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit)
    assert "\x00" not in cleaned and len(cleaned) <= limit
    cleaned.encode("utf-8")  # no lone surrogate left
    if len(text) <= limit and "\x00" not in text and text == text.encode("utf-8", "replace").decode():
        assert cleaned == text


def test_nesting_past_the_parsers_recursion_is_named_not_raised() -> None:
    deep = "[" * 1010 + "]" * 1010  # within orjson's 1024 levels, past Python's json recursion
    with pytest.raises(InvalidValue, match="deeper than 16"):
        parse_checked(deep, LIMITS, "body")
    (item, fine) = parse_items_checked(f"[{deep}, 1]", LIMITS, "body")
    assert isinstance(item, InvalidValue) and "deeper than 16" in str(item) and fine == 1


# Texts whose value the whole array can hold but that an item may not be (a batch's bad items).
UNSTORABLE_ITEMS = [
    '{"a": 0.1000000000000000000001}',
    '{"a": 12345678901234567890}',
    '{"a": "\\u0000"}',
    '{"a\\u0000": 1}',
    "[" * 17 + "]" * 17,
    "[" * 300 + "]" * 300,
]


@given(
    st.lists(st.one_of(storable.map(lambda v: orjson.dumps(v).decode()), st.sampled_from(UNSTORABLE_ITEMS)))
)
def test_each_item_of_an_array_is_checked_as_its_own_value(texts: list[str]) -> None:
    items = parse_items_checked("[" + ", ".join(texts) + "]", LIMITS, "body")
    assert len(items) == len(texts)
    for n, (text, item) in enumerate(zip(texts, items, strict=True)):
        alone = _alone(text, f"body[{n}]")
        if isinstance(alone, InvalidValue):
            assert isinstance(item, InvalidValue) and (item.path, item.problem) == (alone.path, alone.problem)
        else:
            assert item == alone


def _alone(text: str, where: str) -> Any:
    """What parse_checked makes of the text alone: its value or its InvalidValue."""
    try:
        return parse_checked(text, LIMITS, where)
    except InvalidValue as exc:
        return exc


@pytest.mark.parametrize("text", ['{"input": 1}', "[1, ", '[{"a": NaN}]', '["\\ud800"]', "[1e400]"])
def test_what_is_no_json_array_fails_the_whole_text(text: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_items_checked(text, LIMITS, "body")
    assert err.value.path == "body"
    with pytest.raises(PayloadTooLarge):
        parse_items_checked("[" + ", ".join(["1"] * 100) + "]", JsonLimits(100, 4), "body")
