"""Kafka-topic triggers: one run per record of a topic, exactly once (docs/schedules-and-triggers.md).
A body that is wrong answers 422 naming the field; an unknown trigger 404."""

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, StringConstraints

from legato.api.errors import ApiError
from legato.api.inputs import payload_size
from legato.api.models import Trigger, TriggerList, problem
from legato.api.workflows import services
from legato.definitions.expressions import TemplateError
from legato.definitions.registry import UnknownWorkflow
from legato.payloads import configured, dumps_checked
from legato.triggers import catalog
from legato.triggers.spec import DEFAULT_INPUT, RESERVED_TOPICS, TOPIC, TRIGGER_ID, templates

router = APIRouter(prefix="/triggers", tags=["triggers"])

Id = Annotated[str, StringConstraints(pattern=TRIGGER_ID.pattern)]
Topic = Annotated[str, StringConstraints(pattern=TOPIC.pattern)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
T = TypeVar("T")


class KafkaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Topic
    fromBeginning: bool = False  # noqa: N815 - the API's field names


class TriggerBody(BaseModel):
    """`input` and `idempotencyKey` are templates over `{value, key, headers, topic, partition,
    offset, timestamp}`; `ordering: perKey` starts a record key's next run once its previous one ended."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    kafka: KafkaBody
    workflowId: Text  # noqa: N815
    input: Any = DEFAULT_INPUT
    idempotencyKey: Text | None = None  # noqa: N815
    ordering: Literal["none", "perKey"] = "none"
    paused: bool = False


async def _call(fn: Callable[..., T], *args: Any) -> T:
    try:
        return await run_in_threadpool(fn, *args)
    except catalog.TriggerNotFound as exc:
        raise ApiError(404, str(exc)) from exc
    except catalog.TriggerExists as exc:
        raise ApiError(409, str(exc)) from exc
    except UnknownWorkflow as exc:
        raise ApiError(422, f"body.workflowId: workflow {exc.args[0]!s} is not defined") from exc


@router.post(
    "",
    status_code=201,
    summary="Create a Kafka-topic trigger: one run per record of the topic, exactly once",
    responses={
        409: problem("a trigger of this id exists"),
        422: problem("a bad body, or an unknown workflow"),
    },
)
async def create_trigger(request: Request, body: TriggerBody) -> Trigger:
    if body.kafka.topic in RESERVED_TOPICS:
        raise ApiError(422, f"body.kafka.topic: {body.kafka.topic!r} is not a topic name Kafka allows")
    payload_size(body.input, "body.input")
    try:
        templates(body.input, body.idempotencyKey)
    except TemplateError as exc:
        where = "body.idempotencyKey" if _in_key(body, exc) else "body.input"
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        raise ApiError(422, f"{where}{path}: {exc.message}") from exc
    spec = catalog.TriggerSpec(
        trigger_id=body.id,
        workflow_id=body.workflowId,
        topic=body.kafka.topic,
        from_beginning=body.kafka.fromBeginning,
        input=dumps_checked(body.input, configured(), "body.input"),
        idempotency_key=body.idempotencyKey,
        ordering=body.ordering,
        paused=body.paused,
    )
    s = services(request)
    return Trigger.model_validate(await _call(catalog.create, s.pool, s.settings, s.admin, spec))


def _in_key(body: TriggerBody, exc: TemplateError) -> bool:
    if body.idempotencyKey is None:
        return False
    try:
        templates(body.input, None)
    except TemplateError:
        return False
    return True


@router.get("", summary="List the Kafka-topic triggers, with their lag and counts")
async def list_triggers(request: Request) -> TriggerList:
    return TriggerList.model_validate(
        {"triggers": await _call(catalog.list_all, services(request).pool, services(request).settings)}
    )


@router.get(
    "/{trigger_id}",
    summary="A Kafka-topic trigger, its lag and counts",
    responses={404: problem("unknown trigger")},
)
async def get_trigger(request: Request, trigger_id: str) -> Trigger:
    return Trigger.model_validate(
        await _call(catalog.get, services(request).pool, services(request).settings, trigger_id)
    )


@router.post(
    "/{trigger_id}/pause",
    summary="Pause a trigger: its records wait on the topic (nothing is lost)",
    responses={404: problem("unknown trigger")},
)
async def pause_trigger(request: Request, trigger_id: str) -> Trigger:
    return Trigger.model_validate(
        await _call(catalog.set_paused, services(request).pool, services(request).settings, trigger_id, True)
    )


@router.post(
    "/{trigger_id}/resume",
    summary="Resume a trigger from where it stopped",
    responses={404: problem("unknown trigger")},
)
async def resume_trigger(request: Request, trigger_id: str) -> Trigger:
    return Trigger.model_validate(
        await _call(catalog.set_paused, services(request).pool, services(request).settings, trigger_id, False)
    )


@router.delete(
    "/{trigger_id}",
    status_code=204,
    summary="Delete a trigger (its runs stay; its queued records are dropped)",
    responses={404: problem("unknown trigger")},
)
async def delete_trigger(request: Request, trigger_id: str) -> Response:
    await _call(catalog.delete, services(request).pool, trigger_id)
    return Response(status_code=204)
