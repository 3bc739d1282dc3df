"""Liveness, readiness (database, Redis, Kafka, the engine and intake processes) and Prometheus
metrics."""

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from legato.api.models import Health, Readiness
from legato.api.workflows import services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Database, Redis and Kafka are reachable",
    responses={503: {"model": Readiness, "description": "not ready: the failing checks say why"}},
)
def readyz(request: Request, response: Response) -> Readiness:
    s = services(request)
    checks: dict[str, str] = {}
    try:
        with s.pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        s.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    try:
        s.admin.list_topics(topic=s.settings.kafka.results_topic, timeout=2)
        checks["kafka"] = "ok"
    except Exception as exc:
        checks["kafka"] = f"down: {type(exc).__name__}"
    checks["engine"] = "ok" if s.engine_ready() else "paused"
    checks["intake"] = "ok" if s.intake_ready() else "down"
    ready = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ready else 503
    return Readiness.model_validate({"status": "ready" if ready else "not ready", **checks})


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics() -> Response:
    """The API's and the engine process's metrics together (prometheus_client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
