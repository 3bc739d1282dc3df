"""Every JSON answer of the API has a response model, so /openapi.json describes it (and the
dashboard's types, generated from it, cannot drift). Built from the app itself, no service needed."""

from typing import Any

import pytest

from legato.api import models
from legato.api.app import openapi_document
from legato.api.models._base import Answer
from legato.runs.filters import STATUSES

pytestmark = pytest.mark.unit

# The operations whose answer is not JSON: (method, path) -> the media type they declare instead.
NOT_JSON = {
    ("get", "/metrics"): "text/plain",
    ("get", "/workflow/run/{run_id}/events/stream"): "text/event-stream",
}
# Error statuses whose body FastAPI describes itself (`HTTPValidationError`).
FASTAPI_OWN = {"422"}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def _component(doc: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The named schema a response refers to; None when it is inline or missing (no model)."""
    ref = (schema or {}).get("$ref", "")
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        return None
    found: dict[str, Any] = doc["components"]["schemas"][ref.removeprefix(prefix)]
    return found


def test_every_json_answer_has_a_response_model() -> None:
    doc = openapi_document()
    missing = []
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            content = response.get("content")
            if status == "204" or status in FASTAPI_OWN:
                continue
            if (method, path) in NOT_JSON and status.startswith("2"):
                assert list(content) == [NOT_JSON[method, path]], (method, path)
                continue
            if content is None and status.startswith(("4", "5")):
                missing.append(f"{method.upper()} {path} {status}: an error answer with no body described")
                continue
            schema = (content or {}).get("application/json", {}).get("schema")
            if _component(doc, schema) is None:
                missing.append(f"{method.upper()} {path} {status}: {schema}")
    assert not missing, "answers without a response model:\n" + "\n".join(missing)
    assert len(_operations(doc)) >= 33  # a router left out of openapi_document() would shrink this


def test_answer_models_declare_every_field() -> None:
    """A field the domain adds and a model does not declare fails validation, so it cannot leave
    the document behind (DltJob alone passes on fields of newer wire schema versions)."""
    answers = [m for name in models.__all__ if isinstance(m := getattr(models, name), type)]
    open_ended = {models.DltJob}
    for model in answers:
        if issubclass(model, Answer) and model not in open_ended:
            assert model.model_config.get("extra") == "forbid", model


def test_run_status_is_the_runs_statuses() -> None:
    assert models.run_list.RunStatus.__args__ == STATUSES


def test_absent_fields_stay_absent_and_nulls_stay_null() -> None:
    """`X | MISSING` leaves the JSON when the domain left it out; `X | None` is written as null."""
    step = {
        "id": "a",
        "kind": "task",
        "action": "x",
        "status": "RUNNING",
        "attempts": 1,
        "input": None,
        "output": None,
        "error": None,
        "startedAt": None,
        "endedAt": None,
        "waitingFor": None,
    }
    assert models.RunStep.model_validate(step).model_dump(mode="json") == step
    assert list(models.RunStep.model_validate(step).model_dump(mode="json")) == list(step)
    waiting = {**step, "wakeAt": "2026-01-05T10:00:00+00:00"}
    assert models.RunStep.model_validate(waiting).model_dump(mode="json") == waiting
    with pytest.raises(ValueError, match="extra"):
        models.RunStep.model_validate({**step, "surprise": 1})
