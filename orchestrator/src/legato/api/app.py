"""The FastAPI application."""

from typing import Any

from fastapi import FastAPI

from legato import __version__, tracing
from legato.api import (
    action_limits,
    attempts,
    dead_letter_topics,
    dead_letters,
    docs,
    errors,
    event_stream,
    health,
    run_list,
    runs,
    schedules,
    session,
    stats,
    trigger_batch,
    triggers,
    ui,
    workers,
    workflows,
)
from legato.api.headers import SecurityHeaders
from legato.api.limits import BodySizeLimit
from legato.api.services import Services
from legato.auth.browser import BrowserGuard, allowed_hosts
from legato.auth.middleware import AuthMiddleware


def create_app(services: Services) -> FastAPI:
    app = _bare_app()
    if tracing.ENABLED:  # the API process's spans (the engine process sets up its own)
        from legato.tracing import setup

        setup.start("legato-api")
    docs.install(app)
    app.state.services = services
    errors.install(app)
    _include_routes(app)
    # Outermost last: security headers, authentication, then what a browser may not send, then the size.
    app.add_middleware(BodySizeLimit, max_bytes=services.settings.api.max_body_bytes)
    app.add_middleware(
        BrowserGuard, mode=services.auth_mode, allowed=allowed_hosts(services.settings.api.allowed_hosts)
    )
    app.add_middleware(AuthMiddleware, pool=services.pool, mode=services.auth_mode)
    app.add_middleware(SecurityHeaders)
    return app


def openapi_document() -> dict[str, Any]:
    """The document /openapi.json serves, built without services (nothing is connected to)."""
    app = _bare_app()
    _include_routes(app)
    return app.openapi()


def _bare_app() -> FastAPI:
    return FastAPI(
        title="Legato",
        version=__version__,
        description="Define and trigger workflows whose steps run on workers through Kafka.",
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry spans stay off: Legato's are those of docs/observability.md
        telemetry={"tracing": False, "operation_spans": False, "metrics": False, "logs": False},
    )


def _include_routes(app: FastAPI) -> None:
    app.include_router(health.router)
    # Before workflows: /workflow/runs and /workflow/stats are not definitions named so.
    app.include_router(run_list.router)
    app.include_router(stats.router)
    app.include_router(attempts.router)
    app.include_router(dead_letter_topics.router)
    app.include_router(dead_letters.router)
    app.include_router(runs.router)
    app.include_router(event_stream.router)
    app.include_router(workers.router)
    app.include_router(workflows.router)
    app.include_router(trigger_batch.router)
    app.include_router(schedules.router)
    app.include_router(triggers.router)
    app.include_router(action_limits.router)
    app.include_router(ui.router)
    app.include_router(session.router)
