"""Templates for step inputs: `${<JMESPath expression>}` strings (docs/workflow-definitions.md)."""

from __future__ import annotations

import json
import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def ref(expression: str) -> str:
    """`ref("steps.a.output")` -> `"${steps.a.output}"`: a template the orchestrator replaces with
    the expression's value (any JSON type) when the step starts."""
    return "${" + expression + "}"


def step_ref(step_id: str, path: str) -> str:
    """A template reading a path under a step: `step_ref("reserve-stock", "output.total")` ->
    `"${steps.\\"reserve-stock\\".output.total}"`. The id is quoted (a JMESPath quoted identifier)
    unless it is a plain identifier; `path` is a JMESPath expression under it ("" for the step)."""
    expression = "steps." + quote_identifier(step_id)
    if path:
        expression += path if path.startswith("[") else "." + path
    return ref(expression)


def quote_identifier(name: str) -> str:
    """`name` as a JMESPath identifier: as it is when it is one, else a quoted identifier (its
    JSON string form, which is what JMESPath's grammar takes)."""
    if _IDENTIFIER.fullmatch(name):
        return name
    return json.dumps(name, ensure_ascii=False)
