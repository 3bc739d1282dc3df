"""Flow control in definitions: any `concurrency`, `maxBacklog` or `priority` is accepted as the
rules say or refused with a DefinitionError that names the field (never another exception), and a
concurrency key renders to the same short text for the same input, or to none."""

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from legato.definitions import DefinitionError, parse_definition
from legato.definitions.model import Concurrency
from legato.workflow.concurrency import MAX_KEY, render_key

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
keys = st.one_of(
    st.sampled_from(["${input}", "${input.customerId}", "${input.a.b}", "${input[0]}", "${length(input)}"]),
    st.text(max_size=30).map(lambda s: "${" + s + "}"),
    st.text(max_size=30),
)
concurrency = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"key": keys},
        optional={
            "limit": st.one_of(st.integers(-2, 20_000), json_values),
            "onLimit": st.one_of(
                st.sampled_from(["queue", "cancelNewest", "cancelOldest", "drop"]), json_values
            ),
        },
    ),
)


def body(**top: Any) -> dict[str, Any]:
    return {"id": "w", "steps": [{"id": "a", "action": "x"}], **top}


@settings(max_examples=300)
@given(
    concurrency,
    st.one_of(st.integers(-5, 2 * 10**9), json_values),
    st.one_of(st.integers(-1, 7), json_values),
)
@example({"key": "${input.c}", "limit": True}, None, None)
@example(None, 1.5, None)
@example(None, None, 3.0)
def test_flow_fields_parse_or_name_what_is_wrong(raw: Any, max_backlog: Any, priority: Any) -> None:
    fields = {
        k: v
        for k, v in (("concurrency", raw), ("maxBacklog", max_backlog), ("priority", priority))
        if v is not None
    }
    refused: DefinitionError | None = None
    try:
        parsed = parse_definition(body(**fields))
    except DefinitionError as exc:
        refused = exc
    if refused is not None:
        assert refused.loc and refused.loc[0] in fields, (refused.loc, refused.message)
        return
    if "concurrency" in fields:
        assert parsed.concurrency is not None
        assert 1 <= parsed.concurrency.limit <= 10_000
        assert parsed.concurrency.on_limit in ("queue", "cancelNewest", "cancelOldest")
    assert parsed.max_backlog == fields.get("maxBacklog")
    assert parsed.priority == fields.get("priority", 3) and type(parsed.priority) is int


def test_a_key_may_read_only_the_input() -> None:
    with pytest.raises(DefinitionError, match="an expression starts from one of") as refused:
        parse_definition(body(concurrency={"key": "${steps.a.output}"}))
    assert refused.value.loc == ("concurrency", "key")


@settings(max_examples=300)
@given(json_values)
def test_a_key_renders_the_same_short_text_or_none(run_input: Any) -> None:
    parsed = parse_definition(body(concurrency={"key": "${input}"}))
    assert isinstance(parsed.concurrency, Concurrency)
    key = render_key(parsed.concurrency, run_input)
    if run_input is None:
        assert key is None
        return
    assert isinstance(key, str) and key == render_key(parsed.concurrency, run_input)
    assert len(key) <= MAX_KEY or (key.startswith("sha256:") and len(key) == 7 + 64)
    if isinstance(run_input, str) and len(run_input) <= MAX_KEY:
        assert key == run_input
