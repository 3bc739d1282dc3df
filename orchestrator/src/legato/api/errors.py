"""Map failures to clear 4xx/503 answers; never a stack trace to the client."""

import logging

import psycopg
import redis
from confluent_kafka import KafkaException
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout

from legato.definitions import DefinitionError
from legato.definitions.registry import UnknownWorkflow
from legato.kafka.topics import TopicError
from legato.payloads import InvalidValue, PayloadTooLarge
from legato.runs.operations import RunNotFound, WrongState
from legato.runs.trigger import InvalidTrigger

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra  # more fields of the problem body


def client_error(exc: BaseException) -> ApiError | None:
    """The 4xx answer of a domain error that is the request's fault (an item of a batch trigger gets
    it as its own answer); None for anything else."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, UnknownWorkflow):
        return ApiError(404, f"workflow {exc.args[0]!s} is not defined")
    if isinstance(exc, InvalidTrigger):
        return ApiError(422, str(exc))
    if isinstance(exc, InvalidValue):
        return ApiError(413 if isinstance(exc, PayloadTooLarge) else 422, str(exc))
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **(exc.extra or {})}, exc.status, headers=exc.headers)

    @app.exception_handler(DefinitionError)
    async def bad_definition(_: Request, exc: DefinitionError) -> JSONResponse:
        where = "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.loc)
        return JSONResponse(
            {
                "detail": [{"loc": ["body", *exc.loc], "msg": exc.message, "type": "value_error"}],
                "message": f"{where}: {exc.message}",
            },
            422,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, 422)

    @app.exception_handler(UnknownWorkflow)
    @app.exception_handler(InvalidTrigger)
    @app.exception_handler(InvalidValue)
    async def client_fault(_: Request, exc: Exception) -> JSONResponse:
        error = client_error(exc)
        assert error is not None
        return JSONResponse({"detail": error.detail}, error.status)

    @app.exception_handler(RunNotFound)
    async def unknown_run(_: Request, exc: RunNotFound) -> JSONResponse:
        return JSONResponse({"detail": f"run {exc.args[0]!s} not found"}, 404)

    @app.exception_handler(WrongState)
    async def wrong_state(_: Request, exc: WrongState) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 409)

    @app.exception_handler(psycopg.DataError)
    async def bad_data(_: Request, exc: psycopg.DataError) -> JSONResponse:
        # A value of the request the database refused (out of range, not storable): the caller's to fix.
        log.info("request value refused by the database: %s", exc)
        return JSONResponse({"detail": f"a value in the request is not acceptable: {exc}"}, 422)

    @app.exception_handler(psycopg.errors.QueryCanceled)
    async def too_slow(_: Request, exc: psycopg.errors.QueryCanceled) -> JSONResponse:
        # LEGATO_API_STATEMENT_TIMEOUT_MS ran out (api.database), or an operator cancelled it
        log.warning("database statement cancelled: %s", exc)
        return JSONResponse(
            {"detail": "the database did not answer in time (statement timeout): try again, or narrow it"},
            503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def db_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return JSONResponse({"detail": "database unavailable, try again"}, 503, headers={"Retry-After": "1"})

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    async def redis_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", exc)
        return JSONResponse(
            {"detail": "idempotency store (Redis) unavailable; retry, or trigger without Idempotency-Key"},
            503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(KafkaException)
    @app.exception_handler(TopicError)
    async def kafka_down(_: Request, exc: Exception) -> JSONResponse:
        # e.g. a definition's action topics cannot be made: nothing was stored, the call can be repeated
        log.warning("kafka unavailable: %s", exc)
        return JSONResponse(
            {"detail": f"Kafka unavailable or refusing, try again: {exc}"}, 503, headers={"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"detail": "internal error"}, 500)
