# ruff: noqa: N815 - the API's field names
"""Answers about workflow definitions, and the answer of a trigger."""

from typing import Any

from pydantic import MISSING, GetJsonSchemaHandler, RootModel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from legato.api.models._base import Answer, Timestamp, Uuid
from legato.definitions.json_schema import SCHEMA, STEP


class WorkflowStep(RootModel[dict[str, Any]]):
    """A step as it was defined. Described by the step of the definition's JSON Schema without its
    cross-field rules (GET /workflow/schema has them all)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {k: v for k, v in STEP.items() if k != "allOf"}


class Concurrency(Answer):
    key: str
    limit: int = 1
    onLimit: str = "queue"


class Definition(Answer):
    """`concurrency`, `maxBacklog` and `priority` only when the definition sets them."""

    id: str
    version: int
    steps: list[WorkflowStep]
    concurrency: Concurrency | MISSING = MISSING
    maxBacklog: int | MISSING = MISSING
    priority: int | MISSING = MISSING
    createdAt: Timestamp


class Definitions(Answer):
    workflows: list[Definition]


class DefinitionSchema(RootModel[dict[str, Any]]):
    """The JSON Schema (draft 2020-12) of a workflow definition."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "object", "description": SCHEMA["title"], "additionalProperties": True}


class RunStarted(Answer):
    runId: Uuid
