"""Properties of the builder's templates and canonical JSON, for any input Hypothesis finds."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import jmespath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato_worker import Workflow, ref, step_ref
from legato_worker._canonical import canonical_json

pytestmark = pytest.mark.unit

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def expression(template: str) -> str:
    assert template.startswith("${") and template.endswith("}")
    return template[2:-1]


@given(st.text(min_size=1))
def test_step_ref_reads_exactly_that_step_id(step_id: str) -> None:
    parsed = jmespath.compile(expression(step_ref(step_id, "output.total"))).parsed
    assert parsed["type"] == "subexpression"
    assert [c["type"] for c in parsed["children"]] == ["field"] * 4
    assert [c["value"] for c in parsed["children"]] == ["steps", step_id, "output", "total"]
    context = {"steps": {step_id: {"output": {"total": 7}}, step_id + "x": {"output": {"total": 8}}}}
    assert jmespath.search(expression(step_ref(step_id, "output.total")), context) == 7


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]*", fullmatch=True))
def test_a_plain_identifier_is_not_quoted(step_id: str) -> None:
    assert step_ref(step_id, "output") == "${steps." + step_id + ".output}"


def test_ref_and_step_ref_examples() -> None:
    assert ref("steps.a.output") == "${steps.a.output}"
    assert step_ref("reserve-stock", "output.total") == '${steps."reserve-stock".output.total}'
    assert step_ref("a", "") == "${steps.a}"
    assert step_ref("a.b", "output[0]") == '${steps."a.b".output[0]}'


@given(json_values)
def test_canonical_json_is_sorted_compact_utf8_json(value: Any) -> None:
    text = canonical_json(value)
    assert text == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(text) == value


@given(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
def test_an_integral_float_is_written_as_an_integer(n: int) -> None:
    assert canonical_json(float(n)) == str(n)
    assert canonical_json({"x": [float(n)]}) == '{"x":[' + str(n) + "]}"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": bad})


def test_non_ascii_and_slash_are_written_as_themselves() -> None:
    assert canonical_json({"é": "東京/✓", "a": 0.25}) == '{"a":0.25,"é":"東京/✓"}'


def test_a_duplicate_step_id_or_an_unknown_dependency_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="duplicate step id 'a'"):
        Workflow("w").step("a", action="x").wait("a", seconds=1)
    with pytest.raises(ValueError, match="unknown step 'b'"):
        Workflow("w").step("a", action="x", depends_on=["b"]).to_dict()


def test_fields_never_set_are_absent_and_explicit_nulls_are_kept() -> None:
    built = (
        Workflow("w")
        .step("a", action="x", input={"k": None})
        .step("b", action="x", input=None, depends_on="a")
        .signal("c", name="go", timeout_seconds=5, default=None, depends_on=["b"])
        .child("d", workflow="other", depends_on=["c"])
        .to_dict()
    )
    assert built["steps"] == [
        {"id": "a", "action": "x", "input": {"k": None}},
        {"id": "b", "action": "x", "dependsOn": ["a"], "input": None},
        {"id": "c", "signal": {"name": "go", "timeoutSeconds": 5, "default": None}, "dependsOn": ["b"]},
        {"id": "d", "workflow": {"id": "other"}, "dependsOn": ["c"]},
    ]


def test_a_wait_takes_seconds_or_an_aware_until() -> None:
    with pytest.raises(ValueError, match="either seconds or until"):
        Workflow("w").wait("t")
    with pytest.raises(ValueError, match="aware"):
        Workflow("w").wait("t", until=datetime(2030, 1, 1))
