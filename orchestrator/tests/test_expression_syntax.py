"""Expressions of any shape: the parser accepts them or raises its own error, never anything else.

Hypothesis generates the expressions themselves (token soup, deep nesting, huge numbers, unicode,
unbalanced brackets), not only the values they read. pytest turns warnings into errors here, so a
warning from the JMESPath library would fail these tests too.
"""

import contextlib
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from legato.definitions import DefinitionError, ExpressionError, parse_definition
from legato.definitions.expressions import compile_expression, compile_template
from legato.definitions.syntax import MAX_EXPRESSION, MAX_EXPRESSION_DEPTH

pytestmark = pytest.mark.unit

TOKENS = [
    *("input", "steps", "item", "index", "a", "ü", "名前", "@", "*", "&", "!", "?", "|", "||", "&&"),
    *(".", ",", ":", "[", "]", "{", "}", "(", ")", "[]", "[?", "[*]", "[:", "::", "==", "!=", "<", ">="),
    *("`", "'", '"', "\\", "\\u", "\\ud800", "\\u0000", "\x00", "\ud800", " ", "\n", "$", "${", "}"),
    *("0", "-1", "1e400", "9" * 40, "0." + "1" * 30, "NaN", "Infinity", "`1e400`", "`NaN`", "`-0`"),
    *("`" + "9" * 25 + "`", "`[`", "`{`", "]`", '`"x"`', "'x'", '"x"', "`foo`", "length(", "abs("),
    *("sort_by(", "to_number(", "not_null(", "join(", "steps.a.output", "input.items[0]"),
]
OPENERS = ["[", "(", "{a: ", "[?", "!", "&", "abs(", "`[", "input.a[", "not_null(", "@ || ("]
CLOSERS = {"[": "]", "(": ")", "{a: ": "}", "[?": "]", "abs(": ")", "`[": "]`", "input.a[": "]"}
CLOSERS |= {"not_null(": ")", "@ || (": ")", "!": "", "&": ""}

token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
nested = st.builds(
    lambda opener, n, core, balanced: opener * n + core + (CLOSERS[opener] * n if balanced else ""),
    st.sampled_from(OPENERS),
    st.integers(1, 700),
    st.sampled_from(["input", "`1`", "steps.a.output", "''", "@"]),
    st.booleans(),
)
huge_numbers = st.builds(
    lambda lhs, number: f"{lhs}`{number}`",
    st.sampled_from(["", "input.a > ", "input.a || ", "[input, "]),
    st.one_of(
        st.integers().map(str),
        st.integers(-(10**400), 10**400).map(str),
        st.floats().map(repr),
        st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    ),
)
expressions = st.one_of(token_soup, st.text(max_size=80), nested, huge_numbers)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=15,
)


def one_step(**fields: Any) -> dict[str, Any]:
    return {"id": "w", "steps": [{"id": "a", "action": "x"}, {"id": "b", "action": "y", **fields}]}


@settings(max_examples=400)
@given(expressions, json_values)
@example("[" * 400 + "input" + "]" * 400, None)  # RecursionError inside jmespath's parser
@example("!" * 600 + "input", None)
@example("(" * 600 + "input" + ")" * 600, None)
@example("sort_by(@, &" * 300 + "a" + ")" * 300, None)
@example("input.a > `1e400`", {"a": 1})  # became infinity, then null in the step's input
@example("`NaN`", None)
@example("`foo`", None)  # deprecated literal syntax: a PendingDeprecationWarning inside jmespath
def test_any_expression_compiles_or_is_an_expression_error(source: str, context: Any) -> None:
    try:
        expr = compile_expression(source)
    except ExpressionError:
        return
    with contextlib.suppress(ExpressionError):  # what compiles evaluates with no other error either
        expr.evaluate({"input": context, "steps": {"a": {"output": context}}})


@settings(max_examples=200)
@given(expressions, st.sampled_from(["when", "forEach", "input"]))
def test_any_expression_in_a_definition_is_accepted_or_a_definition_error(source: str, field: str) -> None:
    value: Any = {"x": [f"${{{source}}}"]} if field == "input" else source
    fields = {field: value, "dependsOn": ["a"]}
    try:
        parse_definition(one_step(**fields))
    except DefinitionError as exc:
        loc = exc.loc
    else:
        return
    assert loc[:3] == ("steps", 1, field)


@pytest.mark.parametrize(
    "source",
    [
        "[" * (MAX_EXPRESSION_DEPTH + 1) + "input" + "]" * (MAX_EXPRESSION_DEPTH + 1),
        "(" * (MAX_EXPRESSION_DEPTH + 1) + "input" + ")" * (MAX_EXPRESSION_DEPTH + 1),
        "!" * (MAX_EXPRESSION_DEPTH + 1) + "input",
        "[" * 900 + "input",
        "`" + "[" * 40 + "]" * 40 + "`",
    ],
    ids=["brackets", "parentheses", "not", "unbalanced", "literal"],
)
def test_deep_nesting_is_refused_by_its_bound(source: str) -> None:
    body = one_step(when=source, dependsOn=["a"])
    with pytest.raises(DefinitionError) as info:
        parse_definition(body)
    assert info.value.loc == ("steps", 1, "when")
    assert f"{MAX_EXPRESSION_DEPTH} levels" in info.value.message


def test_nesting_up_to_the_bound_is_accepted() -> None:
    brackets = "[" * (MAX_EXPRESSION_DEPTH - 1) + "input" + "]" * (MAX_EXPRESSION_DEPTH - 1)
    assert compile_expression(brackets).reads_input
    assert compile_expression("!" * (MAX_EXPRESSION_DEPTH - 1) + "input").reads_input


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        ("`1e400`", "infinity"),
        ("`NaN`", "not valid JSON"),
        ("`0.1000000000000000000001`", "64-bit float"),
        ("`123456789012345678901234567890`", "64-bit range"),
        ('`"\\u0000"`', "NUL"),
        ('`"\\ud800"`', "surrogate"),
    ],
)
def test_a_literal_passes_the_checks_of_a_trigger_input(literal: str, words: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition(one_step(input={"n": f"${{input.n || {literal}}}"}))
    assert info.value.loc == ("steps", 1, "input", "n")
    assert "literal at column 11" in info.value.message
    assert words in info.value.message


def test_exact_literals_and_the_deprecated_string_form_still_compile() -> None:
    template = compile_template({"a": '${`[1, 2.5, {"b": null}]`}', "s": "${`foo`}", "t": "${`x\\`y`}"})
    assert template.render({}) == {"a": [1, 2.5, {"b": None}], "s": "foo", "t": "x`y"}


def test_length_bound() -> None:
    with pytest.raises(ExpressionError, match=f"longer than {MAX_EXPRESSION}"):
        compile_expression("input." + "a" * MAX_EXPRESSION)
