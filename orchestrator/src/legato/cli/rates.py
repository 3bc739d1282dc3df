"""`--rate LIMIT/PERIOD` (`10/1s`, `100/1m`, `5/30s`): an action's rate limit as the CLI reads and
prints it, and as the API takes it (`{"limit": 10, "periodSeconds": 1}`)."""

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

MAX_LIMIT = 100_000  # the API's bounds (flow-control spec)
MAX_PERIOD_S = 86_400
# A count, a slash, then a period: a decimal number (1 when left out) and its unit.
RATE = re.compile(r"([0-9]+)/([0-9]+(?:\.[0-9]+)?)?(ms|s|m|h|d)")  # ASCII digits only
UNIT_SECONDS = {
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
    "d": Fraction(86400),
}
WHOLE_UNITS = (("d", 86400), ("h", 3600), ("m", 60))  # printed in the largest that fits exactly
FORMS = "give LIMIT/PERIOD, e.g. 10/1s, 100/1m, 5/30s (units ms, s, m, h, d)"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `limit` jobs started per `period_seconds` (a whole number of milliseconds)."""

    limit: int
    period_seconds: float

    def body(self) -> dict[str, Any]:
        """The API's form; a whole period is sent as an integer."""
        period = self.period_seconds
        return {"limit": self.limit, "periodSeconds": int(period) if float(period).is_integer() else period}


def parse_rate(text: str) -> Rate:
    """`10/1s` -> Rate(10, 1.0); ValueError (saying what is wrong) for anything else."""
    m = RATE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a rate: {FORMS}")
    limit = int(m[1])
    period = Fraction(m[2] or 1) * UNIT_SECONDS[m[3]]  # exact, however many digits
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"the limit must be 1 to {MAX_LIMIT:,}")
    if not 0 < period <= MAX_PERIOD_S:
        raise ValueError(f"the period must be more than 0 and at most {MAX_PERIOD_S:,}s (1d)")
    if (period * 1000).denominator != 1:
        raise ValueError("the period must be a whole number of milliseconds (the API keeps ms)")
    return Rate(limit, float(period))


def period_text(seconds: float) -> str:
    """A period as `--rate` writes it: `1d`, `2h`, `30m` when whole, else seconds (`45s`, `0.25s`)."""
    if float(seconds).is_integer():
        whole = int(seconds)
        for unit, size in WHOLE_UNITS:
            if whole % size == 0:
                return f"{whole // size}{unit}"
        return f"{whole}s"
    # the shortest text that reads back as this float, written without an exponent
    return f"{Decimal(repr(float(seconds))):f}s"


def rate_text(limit: int, period_seconds: float) -> str:
    """`10/1s`: what `parse_rate` reads back as the same rate."""
    return f"{limit}/{period_text(period_seconds)}"
