# ruff: noqa: N815 - the API's field names
"""Answers about workflow definitions, and the answers of a trigger and of a batch trigger."""

from typing import Any

from pydantic import MISSING, GetJsonSchemaHandler, RootModel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from legato.api.models._base import Answer, Timestamp, Uuid
from legato.api.models.errors import Problem
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


class ItemStarted(Answer):
    """One item of a batch trigger, answered as a single trigger with its body would have been:
    `status` is that trigger's status. 200: `runId`, and `replayed` (its Idempotent-Replayed: the
    item's idempotencyKey had made the run, in an earlier request or an earlier item of this one).
    Otherwise `error`, the body of that answer, and `retryAfter` (s) when it would have had a
    Retry-After header (409: the key's first request is still in flight)."""

    status: int
    runId: Uuid | MISSING = MISSING
    replayed: bool | MISSING = MISSING
    error: Problem | MISSING = MISSING
    retryAfter: int | MISSING = MISSING


class BatchStarted(Answer):
    """The answer of each item, in the order of the request; `started` new runs, `replayed` items
    answered with an earlier run, `failed` items answered with an error."""

    started: int
    replayed: int
    failed: int
    results: list[ItemStarted]
