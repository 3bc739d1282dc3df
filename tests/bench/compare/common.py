"""What the per-system load generators of `make bench-compare` share (stdlib only: they run in the
orchestrator's venv or in the peers' venv).

Every system module writes one JSON document of the same shape (see `phase`), which the driver
(compare.py) reads. Latencies are each system's own record of a run's start and end.
"""

import argparse
import json
import math
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STEPS = 3  # the workflow: three sequential no-op steps, each returning its input


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks: PostgreSQL's percentile_cont, which
    tests/bench/bench.py uses for Legato."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def phase(
    *,
    runs: int,
    rate: float,
    window: tuple[float, float],
    spans: Sequence[tuple[float, float]],
    failed: int,
    steps: int,
) -> dict[str, Any]:
    """One phase's figures from each completed run's (start, end) in the system's own clock, in
    seconds; `window` is the load generator's wall-clock time from the first start to the last
    result (the driver reads the CPU used in it)."""
    latencies = [end - start for start, end in spans]
    span = max(end for _, end in spans) - min(start for start, _ in spans) if spans else math.nan
    return {
        "runs": runs,
        "rate": rate,
        "completed": len(spans),
        "failed": failed,
        "steps": steps,
        "span_s": span,
        "runs_per_s": len(spans) / span if spans else 0.0,
        "steps_per_s": steps / span if spans else 0.0,
        "run_p50_ms": percentile(latencies, 0.5) * 1000,
        "run_p99_ms": percentile(latencies, 0.99) * 1000,
        "window": list(window),
    }


def due(start: float, i: int, rate: float) -> None:
    """Sleep until run i is due when `rate` runs/s are offered from `start` (monotonic); no pause at 0."""
    if rate:
        pause = start + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def write_result(path: str, result: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(result, indent=2))


def exit_on_sigterm() -> None:
    """SIGTERM (the driver's stop, a timeout) unwinds like Ctrl-C, so `finally` blocks stop what this
    process started."""

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)


def add_phase_arguments(parser: argparse.ArgumentParser, runs: int) -> None:
    """The arguments every system's runner takes: the two phases, the clients, the output."""
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--light-runs", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=300, help="seconds, per phase")
    parser.add_argument("--out", required=True)
