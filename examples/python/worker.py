"""The seed workflow's worker (`step1`, `step2`) plus `hand-python`, a relay hand-off step.

Run it with `python examples/python/worker.py` (config from LEGATO_* env vars).
"""

import platform
from typing import Any

from legato_worker import NonRetryableError, Worker


def step1(payload: Any) -> str:
    return f"Processed: {payload}"


def step2(payload: Any) -> str:
    return f"Step 2 done: {payload}"


def hand_python(payload: Any) -> dict[str, Any]:
    """Append this runtime to the relay's trail: {"trail": [...]} -> the same, one entry longer."""
    if not isinstance(payload, dict) or not isinstance(payload.get("trail", []), list):
        raise NonRetryableError('expected {"trail": [...]}', type="InvalidInput")
    trail = [*payload.get("trail", []), f"python {platform.python_version()}"]
    return {**payload, "trail": trail}


def build_worker() -> Worker:
    worker = Worker()
    worker.register("step1", step1)
    worker.register("step2", step2)
    worker.register("hand-python", hand_python)
    return worker


if __name__ == "__main__":
    build_worker().start()
