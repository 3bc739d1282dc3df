"""Workflow definitions: the request format, validation, and the step graph a run executes."""

from legato.definitions.errors import DefinitionError
from legato.definitions.expressions import Expression, ExpressionError, Template, truthy
from legato.definitions.json_schema import SCHEMA
from legato.definitions.model import Definition, RetryPolicy, StepDef, Wait
from legato.definitions.parse import parse_definition

__all__ = [
    "SCHEMA",
    "Definition",
    "DefinitionError",
    "Expression",
    "ExpressionError",
    "RetryPolicy",
    "StepDef",
    "Template",
    "Wait",
    "parse_definition",
    "truthy",
]
