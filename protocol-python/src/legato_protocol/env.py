"""Reading LEGATO_* variables the way every Legato process does (docs/configuration.md).

A variable that is unset, empty or only whitespace keeps its default; values are trimmed; integers
are plain decimal; booleans are true/false/1/0/yes/no. Errors name the variable, the form it must
take and the value. The orchestrator (legato.env_forms) and the Node and Java SDKs read their variables
by the same rules; all are tested against schemas/env/vectors.json. Dependency-free on purpose: the
SDK stays light.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_INTEGER = re.compile(r"[+-]?[0-9]+")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class Env:
    """A view of an environment mapping with the shared parsing rules."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        """The trimmed value, or None when unset, empty or whitespace-only."""
        raw = self._environ.get(name)
        if raw is None:
            return None
        value = raw.strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        value = self.get(name)
        return default if value is None else value

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self.get(name)
        if value is None:
            return default
        if not _INTEGER.fullmatch(value):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        number = int(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ValueError(f"{name} must be at most {maximum}, got {number}")
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{name} must be one of true/false/1/0/yes/no, got {value!r}")
