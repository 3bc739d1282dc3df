"""The forms a LEGATO_* value may take: the rules of every SDK (docs/configuration.md), as pydantic
validators for legato.settings, checked against the SDKs' test vectors (schemas/env/vectors.json).

An unset, empty or whitespace-only variable keeps its default; values are trimmed; integers are plain
decimal (`[+-]?[0-9]+`: no `1_000`, `1e3` nor `0x10`); decimals add an optional fraction (`0.5`);
a value outside its form is an error that names the variable, the form it must take and the value.
"""

import math
import re
from collections.abc import Callable

from pydantic import BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError, PydanticUseDefault

INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "WARNING", "ERROR")
FORM = "legato_form"


def _wrong(form: str, number: float | None = None) -> PydanticCustomError:
    """The form a value must take; `number`: the value read, when its form was right but not its range."""
    return PydanticCustomError(FORM, "{form}", {"form": form, "number": number})


def trimmed(value: object) -> object:
    """The value without surrounding whitespace; a blank one keeps the field's default."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise PydanticUseDefault()
    return value


def _check_range(number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise _wrong(f"at least {minimum}", number)
    if maximum is not None and number > maximum:
        raise _wrong(f"at most {maximum}", number)


def integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[object], object]:
    def parse(value: object) -> object:
        value = trimmed(value)
        if isinstance(value, str):
            if not INTEGER.fullmatch(value):
                raise _wrong("an integer")
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong("an integer")
        _check_range(value, minimum, maximum)
        return value

    return parse


def decimal(minimum: float | None = None) -> Callable[[object], object]:
    def parse(value: object) -> object:
        value = trimmed(value)
        if isinstance(value, str):
            if not DECIMAL.fullmatch(value):
                raise _wrong("a decimal number")
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _wrong("a decimal number")
        _check_range(value, minimum, None)
        return float(value)

    return parse


def log_level(value: object) -> object:
    """DEBUG, INFO, WARN/WARNING or ERROR in any case, as the logging module names it."""
    value = trimmed(value)
    upper = value.upper() if isinstance(value, str) else None
    if upper not in LOG_LEVELS:
        raise _wrong(f"one of {', '.join(LOG_LEVELS)}")
    return "WARNING" if upper == "WARN" else upper


Text = BeforeValidator(trimmed)
LogLevel = BeforeValidator(log_level)


def Integer(minimum: int | None = None, maximum: int | None = None) -> BeforeValidator:  # noqa: N802
    return BeforeValidator(integer(minimum, maximum))


def Decimal(minimum: float | None = None) -> BeforeValidator:  # noqa: N802
    return BeforeValidator(decimal(minimum))


def describe(error: ValidationError) -> list[str]:
    """One line per variable at fault, as the SDKs word it: `LEGATO_API_PORT must be an integer,
    got 'http'`, `LEGATO_JOB_PARTITIONS must be at least 1, got 0`."""
    lines = []
    for e in error.errors():
        name = e["loc"][-1] if e["loc"] else error.title
        value = e["input"].strip() if isinstance(e["input"], str) else e["input"]
        number = e.get("ctx", {}).get("number")
        got = repr(value) if number is None else number
        if e["type"] == FORM:
            lines.append(f"{name} must be {e['msg']}, got {got}")
        else:
            lines.append(f"{name}: {e['msg']}, got {got}")
    return lines
