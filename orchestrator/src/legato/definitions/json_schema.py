"""The JSON Schema of a definition (served at GET /workflow/schema and applied to every body).

The parser's field-by-field checks run first because their messages are more precise; the schema
then guards the whole body, so the published schema and what the API accepts cannot drift apart.
"""

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from legato.definitions.errors import DefinitionError
from legato.definitions.expressions import MAX_EXPRESSION
from legato.definitions.limits import (
    ACTION,
    DEFAULT_PRIORITY,
    MAX_BACKLOG,
    MAX_CONCURRENCY_LIMIT,
    MAX_PARALLEL,
    MAX_STEPS,
    MAX_TIMEOUT_S,
    MAX_WAIT_S,
    ON_LIMIT,
    RESERVED_IDS,
    SIGNAL_NAME,
    STEP_ID,
    WORKFLOW_ID,
)

# What a step that runs no job (wait, signal, workflow) may not have.
_NO_JOB = (
    "action",
    "forEach",
    "maxParallel",
    "onItemFailure",
    "timeoutSeconds",
    "startToCloseSeconds",
    "scheduleToStartSeconds",
    "heartbeatSeconds",
)
_EXPRESSION = {"type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION}

RETRY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "maxAttempts": {"type": "integer", "minimum": 1, "maximum": 100, "default": 4},
        "initialDelayMs": {"type": "integer", "minimum": 0, "maximum": 86_400_000, "default": 1000},
        "backoffCoefficient": {"type": "number", "minimum": 1, "maximum": 10, "default": 1},
        "maxDelayMs": {"type": "integer", "minimum": 0, "maximum": 86_400_000},
        "jitter": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
        "nonRetryableErrors": {"type": "array", "items": {"type": "string"}},
    },
}

STEP: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": STEP_ID.pattern, "description": "Unique id (graph format)"},
        "action": {
            "type": "string",
            "pattern": ACTION,
            "not": {"const": "DLT"},
            "description": "The worker action that runs this step (job topic workflow-jobs.<action>)",
        },
        "stepIndex": {"type": "integer", "minimum": 0, "description": "Position (linear format)"},
        "dependsOn": {
            "type": "array",
            "items": {"type": "string", "pattern": STEP_ID.pattern},
            "uniqueItems": True,
            "description": "Steps that must have ended (completed or skipped) before this one runs",
        },
        "input": {"description": "The step's input; strings that are exactly ${<JMESPath>} are replaced"},
        "when": {**_EXPRESSION, "description": "JMESPath condition; falsy -> the step is SKIPPED"},
        "forEach": {**_EXPRESSION, "description": "JMESPath expression giving a list: one job per item"},
        "maxParallel": {"type": "integer", "minimum": 1, "maximum": MAX_PARALLEL, "default": 100},
        "onItemFailure": {
            "enum": ["fail", "continue"],
            "default": "fail",
            "description": "fail: a dead item fails the map (fail fast); continue: its output is null",
        },
        "wait": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "seconds": {"type": "number", "minimum": 0, "maximum": MAX_WAIT_S},
                "until": {"type": "string", "description": "ISO 8601 time with a UTC offset"},
            },
        },
        "signal": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "description": "wait for a signal of this name; its payload is the step's output",
            "properties": {
                "name": {"type": "string", "pattern": SIGNAL_NAME.pattern},
                "timeoutSeconds": {
                    "type": "number",
                    "minimum": 0.1,
                    "maximum": MAX_WAIT_S,
                    "description": "no signal by then: the step fails with SignalTimeout, or takes `default`",
                },
                "default": {"description": "the step's output when the wait times out (instead of failing)"},
            },
            "dependentRequired": {"default": ["timeoutSeconds"]},
        },
        "workflow": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "description": "run this workflow as a child run; its output is the step's output",
            "properties": {
                "id": {
                    "type": "string",
                    "pattern": WORKFLOW_ID.pattern,
                    "not": {"enum": sorted(RESERVED_IDS)},
                },
                "version": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "absent: the latest when the step starts",
                },
            },
        },
        "retry": RETRY,
        "timeoutSeconds": {
            "type": "number",
            "minimum": 0.1,
            "maximum": MAX_TIMEOUT_S,
            "description": "the old name of startToCloseSeconds",
        },
        "startToCloseSeconds": {
            "type": "number",
            "minimum": 0.1,
            "maximum": MAX_TIMEOUT_S,
            "default": 300,
            "description": "how long one execution may run, from when a worker starts it",
        },
        "scheduleToStartSeconds": {
            "type": "number",
            "minimum": 0.1,
            "maximum": MAX_TIMEOUT_S,
            "description": "how long an attempt may wait in its queue; expiry re-queues it "
            "without using an execution attempt (no limit when absent)",
        },
        "heartbeatSeconds": {
            "type": "number",
            "minimum": 0.1,
            "maximum": MAX_TIMEOUT_S,
            "description": "a started attempt with no heartbeat for this long is dead and retried",
        },
    },
    "allOf": [
        {
            "if": {"required": ["signal"]},
            "then": {"not": {"anyOf": [{"required": [k]} for k in ("input", "wait", "workflow", *_NO_JOB)]}},
        },
        {
            "if": {"required": ["signal"], "properties": {"signal": {"required": ["default"]}}},
            "then": {"not": {"required": ["retry"]}},
        },
        {
            "if": {"required": ["workflow"]},
            "then": {"not": {"anyOf": [{"required": [k]} for k in ("wait", *_NO_JOB)]}},
        },
        {
            "if": {"anyOf": [{"required": ["signal"]}, {"required": ["workflow"]}]},
            "else": {
                "if": {"required": ["wait"]},
                "then": {
                    "not": {"anyOf": [{"required": [k]} for k in ("retry", "signal", "workflow", *_NO_JOB)]}
                },
                "else": {"required": ["action"]},
            },
        },
        {"if": {"required": ["maxParallel"]}, "then": {"required": ["forEach"]}},
        {"if": {"required": ["onItemFailure"]}, "then": {"required": ["forEach"]}},
        {"if": {"required": ["stepIndex"]}, "then": {"not": {"required": ["dependsOn"]}}},
    ],
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://legato.dev/schemas/workflow-definition.json",
    "title": "Legato workflow definition",
    "description": (
        "See docs/workflow-definitions.md. Either every step has stepIndex (linear) or every step has id."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "steps"],
    "properties": {
        "id": {"type": "string", "pattern": WORKFLOW_ID.pattern, "not": {"enum": sorted(RESERVED_IDS)}},
        "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": STEP},
        "concurrency": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key"],
            "description": "At most `limit` open runs per key; over it: queue, cancelNewest, cancelOldest",
            "properties": {
                "key": {
                    "type": "string",
                    "pattern": "^\\$\\{.+\\}$",
                    "description": "${<JMESPath over input>}: the run's key",
                },
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_CONCURRENCY_LIMIT, "default": 1},
                "onLimit": {"enum": list(ON_LIMIT), "default": "queue"},
            },
        },
        "maxBacklog": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_BACKLOG,
            "description": "Work not started (PENDING runs, jobs) beyond which a trigger gets 429",
        },
        "priority": {
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
            "default": DEFAULT_PRIORITY,
            "description": "Its runs' priority (1 highest) when a trigger gives none",
        },
    },
    "oneOf": [
        {"properties": {"steps": {"items": {"required": ["stepIndex"]}}}},
        {"properties": {"steps": {"items": {"required": ["id"], "not": {"required": ["stepIndex"]}}}}},
    ],
}

_VALIDATOR = Draft202012Validator(SCHEMA)


def check_schema(body: Any) -> None:
    error = best_match(_VALIDATOR.iter_errors(body))
    if error is not None:
        raise DefinitionError(tuple(error.absolute_path), f"{error.message} (JSON Schema: {error.json_path})")
