"""Workflow definitions: the request format, validation, and the step graph a run executes."""

from legato.definitions.model import Definition, RetryPolicy, StepDef
from legato.definitions.parse import DefinitionError, parse_definition

__all__ = ["Definition", "DefinitionError", "RetryPolicy", "StepDef", "parse_definition"]
