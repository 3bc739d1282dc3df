"""Graph definitions: dependencies, cycles, templates, conditions, maps, waits, and the JSON Schema."""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from legato.definitions import SCHEMA, DefinitionError, parse_definition
from legato.definitions.limits import MAX_PARALLEL

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).parents[2] / "examples"


def graph(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"id": "w", "steps": list(steps)}


def error(body: Any) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_definition(body)
    return info.value


def test_graph_roots_sinks_and_dependants() -> None:
    d = parse_definition(
        graph(
            {"id": "a", "action": "x"},
            {"id": "b", "action": "x", "dependsOn": ["a"]},
            {"id": "c", "action": "x", "dependsOn": ["a"]},
            {"id": "d", "action": "x", "dependsOn": ["b", "c"]},
        )
    )
    assert d.roots == ("a",)
    assert d.sinks == ("d",)
    assert d.dependants["a"] == ("b", "c")
    assert d.by_id["d"].needs == ("b", "c")  # the default input reads both outputs
    assert d.by_id["a"].needs_input and not d.by_id["d"].needs_input


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        ({"a": ["a"]}, "cycle: a -> a"),
        ({"a": ["b"], "b": ["a"]}, "cycle: a -> b -> a"),
        ({"a": ["c"], "b": ["a"], "c": ["b"]}, "cycle: a -> b -> c -> a"),
        ({"r": [], "a": ["r", "c"], "b": ["a"], "c": ["b"]}, "cycle: a -> b -> c -> a"),
    ],
)
def test_cycles_are_rejected_with_their_path(deps: dict[str, list[str]], cycle: str) -> None:
    e = error(graph(*({"id": k, "action": "x", "dependsOn": v} for k, v in deps.items())))
    assert e.message == cycle
    assert e.loc[0] == "steps" and e.loc[2] == "dependsOn"


def test_a_long_chain_is_not_a_recursion_problem() -> None:
    steps = [{"id": "s0", "action": "x"}] + [
        {"id": f"s{i}", "action": "x", "dependsOn": [f"s{i - 1}"], "input": "${steps.s0.output}"}
        for i in range(1, 500)
    ]
    d = parse_definition(graph(*steps))
    assert d.sinks == ("s499",) and d.by_id["s499"].needs == ("s0",)


@pytest.mark.parametrize(
    ("body", "loc", "text"),
    [
        (
            graph({"id": "a", "action": "x", "dependsOn": ["nope"]}),
            ("steps", 0, "dependsOn", 0),
            "unknown step",
        ),
        (
            graph({"id": "a", "action": "x"}, {"id": "b", "action": "x", "dependsOn": ["a", "a"]}),
            ("steps", 1, "dependsOn", 1),
            "listed twice",
        ),
        (
            graph({"id": "a", "action": "x"}, {"id": "a", "action": "x"}),
            ("steps", 1, "id"),
            "duplicate step id",
        ),
        (graph({"action": "x"}), ("steps", 0, "id"), "needs an id"),
        (
            graph({"id": "a", "action": "x"}, {"action": "x", "stepIndex": 0}),
            ("steps", 0, "stepIndex"),
            "missing",
        ),
        (
            graph(
                {"id": "a", "action": "x"}, {"id": "b", "action": "x", "input": {"t": "${steps.a.output}"}}
            ),
            ("steps", 1, "input", "t"),
            "not an ancestor",
        ),
        (
            graph({"id": "a", "action": "x", "input": "${steps.zz.output}"}),
            ("steps", 0, "input"),
            "unknown step",
        ),
        (
            graph({"id": "a", "action": "x", "input": "total: ${input.total}"}),
            ("steps", 0, "input"),
            "exactly one",
        ),
        (graph({"id": "a", "action": "x", "input": ["${input.[}"]}), ("steps", 0, "input", 0), "JMESPath"),
        (
            graph({"id": "a", "action": "x", "input": "${inptu.total}"}),
            ("steps", 0, "input"),
            "unknown name 'inptu'",
        ),
        (graph({"id": "a", "action": "x", "input": "${item}"}), ("steps", 0, "input"), "unknown name 'item'"),
        (graph({"id": "a", "action": "x", "when": ""}), ("steps", 0, "when"), "non-empty"),
        (graph({"id": "a", "action": "x", "when": "x" * 3000}), ("steps", 0, "when"), "longer than"),
        (graph({"id": "a", "action": "x", "forEach": 3}), ("steps", 0, "forEach"), "JMESPath"),
        (
            graph({"id": "a", "action": "x", "forEach": "input", "maxParallel": MAX_PARALLEL + 1}),
            ("steps", 0, "maxParallel"),
            "between",
        ),
        (graph({"id": "a", "action": "x", "maxParallel": 3}), ("steps", 0, "maxParallel"), "forEach"),
        (
            graph({"id": "a", "action": "x", "onItemFailure": "continue"}),
            ("steps", 0, "onItemFailure"),
            "forEach",
        ),
        (
            graph({"id": "a", "action": "x", "forEach": "input", "onItemFailure": "ignore"}),
            ("steps", 0, "onItemFailure"),
            "one of",
        ),
        (graph({"id": "a", "wait": {"seconds": 1}, "action": "x"}), ("steps", 0, "action"), "wait step"),
        (graph({"id": "a", "wait": {"seconds": 1, "until": "x"}}), ("steps", 0, "wait"), "seconds"),
        (
            graph({"id": "a", "wait": {"until": "2030-01-01T00:00:00"}}),
            ("steps", 0, "wait", "until"),
            "UTC offset",
        ),
        (graph({"id": "a", "wait": {"minutes": 1}}), ("steps", 0, "wait"), "seconds"),
        (graph({"id": "a"}), ("steps", 0, "action"), "must be a name"),
        (
            graph({"id": "a", "signal": {"name": "ok", "action": "x"}}),
            ("steps", 0, "signal", "action"),
            "unknown",
        ),
        (graph({"id": "a", "signal": {"name": "bad name"}}), ("steps", 0, "signal", "name"), "letters"),
        (graph({"id": "a", "signal": {}}), ("steps", 0, "signal"), "name"),
        (
            graph({"id": "a", "signal": {"name": "s", "default": 1}}),
            ("steps", 0, "signal", "default"),
            "timeoutSeconds",
        ),
        (
            graph({"id": "a", "signal": {"name": "s", "timeoutSeconds": 0}}),
            ("steps", 0, "signal", "timeoutSeconds"),
            "between",
        ),
        (graph({"id": "a", "signal": {"name": "s"}, "input": 1}), ("steps", 0, "input"), "signal step"),
        (graph({"id": "a", "signal": {"name": "s"}, "action": "x"}), ("steps", 0, "action"), "signal step"),
        (
            graph({"id": "a", "signal": {"name": "s"}, "wait": {"seconds": 1}}),
            ("steps", 0, "signal"),
            "one kind",
        ),
        (graph({"id": "a", "workflow": {"id": "runs"}}), ("steps", 0, "workflow", "id"), "reserved"),
        (graph({"id": "a", "workflow": {"id": "-x"}}), ("steps", 0, "workflow", "id"), "workflow id"),
        (
            graph({"id": "a", "signal": {"name": "s", "timeoutSeconds": 1, "default": 0}, "retry": {}}),
            ("steps", 0, "retry"),
            "takes its default",
        ),
        (
            graph({"id": "a", "workflow": {"id": "b", "version": 0}}),
            ("steps", 0, "workflow", "version"),
            "between",
        ),
        (graph({"id": "a", "workflow": {"version": 1}}), ("steps", 0, "workflow"), "id"),
        (
            graph({"id": "a", "workflow": {"id": "b"}, "forEach": "input"}),
            ("steps", 0, "forEach"),
            "workflow step",
        ),
        (
            graph({"id": "a", "workflow": {"id": "b"}, "timeoutSeconds": 3}),
            ("steps", 0, "timeoutSeconds"),
            "workflow step",
        ),
        ({"id": "schema", "steps": [{"id": "a", "action": "x"}]}, ("id",), "reserved"),
        (graph({"id": "a", "action": "x", "input": "x" * 70_000}), ("steps", 0, "input"), "larger than"),
    ],
)
def test_errors_name_the_field(body: Any, loc: tuple[Any, ...], text: str) -> None:
    e = error(body)
    assert e.loc == loc
    assert text in e.message


def test_references_through_ancestors_are_allowed_and_read() -> None:
    d = parse_definition(
        graph(
            {"id": "validate", "action": "x"},
            {"id": "reserve", "action": "x", "dependsOn": ["validate"]},
            {
                "id": "charge",
                "action": "x",
                "dependsOn": ["reserve"],
                "input": {"total": "${steps.validate.output.total}", "who": "${input.customer}"},
                "when": "steps.reserve.output.ok",
            },
        )
    )
    charge = d.by_id["charge"]
    assert charge.needs == ("validate", "reserve")  # the template's and the condition's, not the default
    assert charge.needs_input


def test_a_whole_steps_reference_reads_every_ancestor() -> None:
    d = parse_definition(
        graph(
            {"id": "a", "action": "x"},
            {"id": "b", "action": "x", "dependsOn": ["a"]},
            {"id": "c", "action": "x", "dependsOn": ["b"], "input": "${keys(steps)}"},
        )
    )
    assert d.by_id["c"].needs == ("a", "b")


def test_names_inside_projections_are_not_step_references() -> None:
    d = parse_definition(
        graph({"id": "a", "action": "x", "input": "${input.lines[*].steps.anything}", "when": "input.ok"})
    )
    assert d.by_id["a"].needs == ()


def test_map_and_wait_fields() -> None:
    d = parse_definition(
        graph(
            {"id": "lines", "action": "x"},
            {
                "id": "each",
                "action": "x",
                "dependsOn": ["lines"],
                "forEach": "steps.lines.output",
                "input": {"line": "${item}", "n": "${index}", "order": "${input.id}"},
            },
            {"id": "nap", "wait": {"until": "2030-01-01T09:00:00Z"}, "dependsOn": ["each"]},
        )
    )
    each, nap = d.by_id["each"], d.by_id["nap"]
    assert each.kind == "map" and each.max_parallel == 100 and each.needs == ("lines",)
    assert nap.kind == "wait" and nap.action is None and nap.wait is not None
    assert nap.wait.wake_at_ms(0) == 1_893_488_400_000


def test_linear_steps_take_the_graph_fields_too() -> None:
    d = parse_definition(
        {
            "id": "w",
            "steps": [
                {"action": "a", "stepIndex": 0},
                {"wait": {"seconds": 1}, "stepIndex": 1},
                {"action": "b", "stepIndex": 2, "input": "${steps.a.output.x}"},
            ],
        }
    )
    assert [s.id for s in d.steps] == ["a", "wait", "b"]
    assert d.by_id["b"].depends_on == ("wait",)


def test_every_example_definition_matches_the_published_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    validator = Draft202012Validator(SCHEMA)
    files = sorted(EXAMPLES.glob("**/workflows/*.json"))
    bodies = [json.loads(f.read_text()) for f in files if not f.name.endswith(".trigger.json")]
    assert bodies
    for body in bodies:
        assert list(validator.iter_errors(body)) == []
        parse_definition(body)


def test_the_schema_rejects_what_the_parser_rejects() -> None:
    validator = Draft202012Validator(SCHEMA)
    for body in (
        graph({"id": "a", "action": "x", "maxParallel": 2}),
        graph({"id": "a", "wait": {"seconds": 1}, "retry": {}}),
        {"id": "w", "steps": [{"id": "a", "action": "x"}, {"action": "y", "stepIndex": 0}]},
        graph({"id": "a"}),
        graph({"id": "a", "signal": {"name": "s"}, "input": 1}),
        graph({"id": "a", "signal": {"name": "s", "default": 1}}),
        graph({"id": "a", "workflow": {"id": "b"}, "action": "x"}),
        graph({"id": "a", "workflow": {"id": "b"}, "signal": {"name": "s"}}),
        graph({"id": "a", "signal": {"name": "s", "timeoutSeconds": 1, "default": 0}, "retry": {}}),
    ):
        assert list(validator.iter_errors(body)), body


def test_signal_and_workflow_steps_run_no_job_and_are_tried_once_by_default() -> None:
    d = parse_definition(
        graph(
            {"id": "ask", "signal": {"name": "approval", "timeoutSeconds": 60, "default": {"ok": False}}},
            {"id": "ship", "workflow": {"id": "shipping", "version": 3}, "dependsOn": ["ask"]},
            {
                "id": "again",
                "workflow": {"id": "shipping"},
                "retry": {"maxAttempts": 3},
                "dependsOn": ["ask"],
            },
        )
    )
    ask, ship, again = (d.by_id[s] for s in ("ask", "ship", "again"))
    assert (ask.kind, ask.action, ask.retry.max_attempts) == ("signal", None, 1)
    assert ask.signal is not None and (ask.signal.timeout_ms, ask.signal.default) == (60_000, {"ok": False})
    assert (ship.kind, ship.child is not None and ship.child.version) == ("workflow", 3)
    assert ship.needs == ("ask",)  # its default input: the signal's payload
    assert again.retry.max_attempts == 3


# A step built from any mix of fields, each with a value the parser accepts on its own: the parser
# and the published JSON Schema must agree on every mix (the kinds and what each kind excludes).
FIELD_VALUES: dict[str, Any] = {
    "action": "x",
    "wait": {"seconds": 1},
    "signal": {"name": "s", "timeoutSeconds": 5},
    "workflow": {"id": "child"},
    "input": {"v": "${input}"},
    "forEach": "input",
    "maxParallel": 2,
    "onItemFailure": "continue",
    "retry": {"maxAttempts": 2},
    "timeoutSeconds": 5,
    "heartbeatSeconds": 1,
    "when": "input",
}


@settings(max_examples=1000, deadline=None)
@given(st.sets(st.sampled_from(sorted(FIELD_VALUES))))
def test_the_parser_and_the_schema_agree_on_every_mix_of_step_fields(fields: set[str]) -> None:
    body = graph({"id": "a", **{f: FIELD_VALUES[f] for f in sorted(fields)}})
    schema_ok = not list(Draft202012Validator(SCHEMA).iter_errors(body))
    try:
        parse_definition(body)
        parsed = True
    except DefinitionError:
        parsed = False
    assert parsed == schema_ok, (sorted(fields), parsed, schema_ok)
