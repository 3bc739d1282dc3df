"""A local test kit: run workflow definitions against in-process handlers, with no Kafka and no
database, on a virtual clock, deciding every step with the orchestrator's own rules.

from legato_worker.testing import TestEnvironment

env = TestEnvironment()
env.register("check-order", check_order)        # the handlers, as Worker.register takes them
env.define(shipping)                            # child workflows the run may start
run = env.start(order_approval, input=order)     # runs until it ends or waits for a signal
env.signal(run, "approval", {"approved": True})  # or env.signal_at(..., after_seconds=3600)
env.advance()                                    # or let the clock pass the next timer / timeout
assert run.result() == {...}                     # RunFailed / RunCancelled as the client raises
run.steps["payment"].attempts, run.event_types   # the history as GET .../events shows it

Needs the orchestrator package: `pip install 'legato-worker[testing]'` (docs/testing.md).
"""

try:
    import legato.definitions  # noqa: F401 - the kit runs the orchestrator's own rules
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "legato_worker.testing runs workflows with the orchestrator's own rules and needs its package "
        "`legato`: pip install 'legato-worker[testing]'"
    ) from exc

from legato.definitions import DefinitionError
from legato_worker._client_errors import RunCancelled, RunFailed
from legato_worker.testing._environment import TestEnvironment
from legato_worker.testing._views import TestRun, TestStep

__all__ = ["DefinitionError", "RunCancelled", "RunFailed", "TestEnvironment", "TestRun", "TestStep"]
