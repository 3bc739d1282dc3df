"""Live workers per action, read from Kafka's consumer groups (no heartbeat protocol needed)."""

from typing import Any

from fastapi import APIRouter, Request

from legato.api.errors import ApiError
from legato.api.workflows import services
from legato.kafka.groups import live_workers

router = APIRouter(tags=["workers"])


@router.get("/workers", summary="Actions with live workers, and who they are")
def workers(request: Request) -> dict[str, Any]:
    s = services(request)
    try:
        actions = live_workers(s.admin, s.settings.group_prefix)
    except Exception as exc:  # the broker could not answer: say so
        raise ApiError(503, f"Kafka did not answer: {type(exc).__name__}") from exc
    return {"actions": actions}
