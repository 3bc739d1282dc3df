"""The body of every error answer the API's handlers write (`api.errors`)."""

from typing import Any

from legato.api.models._base import Answer


class Problem(Answer):
    """A 4xx or 5xx answer: what was wrong, for a person to read."""

    detail: str


def problem(description: str) -> dict[str, Any]:
    """A `responses=` entry for a status whose body is a Problem."""
    return {"model": Problem, "description": description}
