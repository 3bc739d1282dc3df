"""Sign in to the dashboard with an API key (a session cookie), and manage API keys (admin)."""

import logging

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from legato.api.models import ApiKeys, NewApiKey, RevokedKeys, Session, problem
from legato.api.services import Services
from legato.auth import actor, keys, sessions
from legato.auth.policy import AuthMode
from legato.auth.scopes import SCOPES

router = APIRouter(tags=["auth"])
log = logging.getLogger(__name__)


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="an API key (`legato keys create`)")


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scope: str = Field(pattern="^(read|trigger|operate|admin)$", description=f"one of {', '.join(SCOPES)}")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _session_body(required: bool, name: str | None, scope: str | None, csrf: str | None) -> Session:
    return Session.model_validate(
        {
            "authRequired": required,
            "signedIn": name is not None,
            "name": name,
            "scope": scope,
            "csrfToken": csrf,
        }
    )


@router.get(
    "/auth/session",
    summary="The dashboard session, and whether signing in is required",
    responses={401: {"model": Session, "description": "signing in is required and there is no session"}},
)
def get_session(request: Request, response: Response) -> Session:
    services = _services(request)
    required = services.auth_mode is AuthMode.REQUIRED
    token = request.cookies.get(sessions.COOKIE)  # Starlette's lenient parser, as the middleware
    session = sessions.find(services.pool, token) if token else None
    if session is None:
        if required:
            response.status_code = 401
        return _session_body(required, None, None, None)
    return _session_body(required, session.principal.name, session.principal.scope, session.csrf_token)


@router.post(
    "/auth/session",
    summary="Sign in with an API key: sets an HttpOnly, SameSite=Strict cookie",
    responses={401: problem("unknown or revoked API key")},
)
def sign_in(body: SignIn, request: Request, response: Response) -> Session:
    services = _services(request)
    principal = keys.find(services.pool, body.key.strip())
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key")
    ttl = services.settings.api.session_ttl_s
    token, csrf = sessions.open_session(services.pool, principal, ttl)
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=ttl,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _session_body(services.auth_mode is AuthMode.REQUIRED, principal.name, principal.scope, csrf)


@router.delete("/auth/session", status_code=204, summary="Sign out")
def sign_out(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE)  # Starlette's lenient parser, as the middleware
    if token:
        sessions.close(_services(request).pool, token)
    response = Response(status_code=204)
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/auth/keys", summary="API keys (never the keys themselves); admin scope")
async def list_keys(request: Request) -> ApiKeys:
    found = await run_in_threadpool(keys.list_keys, _services(request).pool)
    return ApiKeys.model_validate({"keys": found})


@router.post(
    "/auth/keys",
    status_code=201,
    summary="Create an API key; the answer is the only time it is shown",
    description=(
        "An active key's name is unique (409 while another active key has it; a revoked key's name "
        "may be reused). `anonymous` and names shaped like a key id are refused (422)."
    ),
    responses={409: problem("an active key already has this name")},
)
def create_key(body: NewKey, request: Request) -> NewApiKey:
    try:
        created = keys.create(_services(request).pool, body.name, body.scope)
    except keys.InvalidKeyRequest as exc:
        raise HTTPException(422, str(exc)) from None
    except keys.NameTaken as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("API key %r (scope %s) created by %s", created.name, created.scope, actor.current.get())
    return NewApiKey.model_validate(
        {
            "id": str(created.key_id),
            "name": created.name,
            "scope": created.scope,
            "key": created.key,
            "createdAt": created.created_at.isoformat(),
        }
    )


@router.delete(
    "/auth/keys/{key}",
    summary="Revoke the active key with this id or name (its sessions end)",
    responses={404: problem("no active key with this id or name")},
)
def revoke_key(key: str, request: Request) -> RevokedKeys:
    revoked = keys.revoke(_services(request).pool, key)
    if not revoked:
        raise HTTPException(404, f"no active key with id or name {key!r}")
    log.info("API key(s) %s revoked by %s", revoked, actor.current.get())
    return RevokedKeys.model_validate({"revoked": revoked})
