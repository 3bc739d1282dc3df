"""The payload checks against the real PostgreSQL: whatever they accept, jsonb stores, and reads
back with the same numbers."""

import json
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.services import PG_URL, require_stack
from legato.payloads import InvalidValue, JsonLimits, parse_checked

pytestmark = pytest.mark.integration

LIMITS = JsonLimits(max_bytes=50_000, max_depth=8)

# Anything JSON-shaped, including what jsonb refuses (NUL) and numbers floats cannot hold.
numbers = st.integers(min_value=-(10**25), max_value=10**25) | st.decimals(
    allow_nan=False, allow_infinity=False
)
anything = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


def _exact(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


@pytest.fixture(scope="module")
def conn() -> Any:
    require_stack()
    with psycopg.connect(PG_URL, autocommit=True) as c:
        yield c


@given(value=anything)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_what_the_checks_accept_jsonb_stores_exactly(conn: psycopg.Connection[Any], value: Any) -> None:
    text = json.dumps(value, cls=_DecimalEncoder)
    try:
        parse_checked(text, LIMITS, "v")
    except InvalidValue:
        return
    stored = conn.execute("SELECT %s::jsonb::text", (text,)).fetchone()
    assert stored is not None
    assert _exact(stored[0]) == _exact(text)


class _DecimalEncoder(json.JSONEncoder):
    """Writes Decimals as bare number literals, digits exactly as generated."""

    def encode(self, o: Any) -> str:
        return _encode(o)


def _encode(o: Any) -> str:
    if isinstance(o, Decimal):
        return format(o, "f") if o == o.to_integral_value() and abs(o) < 10**30 else str(o)
    if isinstance(o, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_encode(v)}" for k, v in o.items()) + "}"
    if isinstance(o, list):
        return "[" + ",".join(_encode(v) for v in o) + "]"
    return json.dumps(o)
