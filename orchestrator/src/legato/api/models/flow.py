# ruff: noqa: N815 - the API's field names
"""Answers of the flow-control routes."""

from legato.api.models._base import Answer, Timestamp


class RateLimit(Answer):
    limit: int
    periodSeconds: float


class ActionLimits(Answer):
    """An action's limits and their state now: `inFlight` jobs published (or being published) and
    not ended, `throttled` jobs waiting in PostgreSQL for a slot or a token, `tokens` left in the
    rate's bucket (None without a rate)."""

    action: str
    maxConcurrent: int | None
    rate: RateLimit | None
    inFlight: int
    throttled: int
    tokens: float | None
    updatedAt: Timestamp


class ActionLimitsList(Answer):
    items: list[ActionLimits]
