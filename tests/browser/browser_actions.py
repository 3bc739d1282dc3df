"""The step handlers the browser tests' worker runs (one Python SDK worker for the whole session)."""

import threading
from collections import Counter
from typing import Any

from legato_worker import ApplicationError, NonRetryableError

# Action names; each isolated orchestrator has its own topics, so fixed names do not collide.
ECHO = "echo"
CHARGE = "charge-card"
HOSTILE = "hostile"
PARKED = "parked"  # no worker ever registers it: its runs stay RUNNING until cancelled

XSS_IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
XSS_SCRIPT = "<script>window.__xss=2;alert(2)</script>"


def echo(payload: Any) -> Any:
    return payload


class Declines:
    """Declines an order once when its input asks for it (`declineOnce`), charges it after that.

    Counted per order id, so a run's retry (or a replayed dead letter) is the second call and succeeds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, order: dict[str, Any]) -> dict[str, Any]:
        order_id = str(order.get("order"))
        with self._lock:
            self.calls[order_id] += 1
            first = self.calls[order_id] == 1
        if first and order.get("declineOnce"):
            raise ApplicationError(f"card declined for order {order_id}", type="CardDeclined")
        return {**order, "charged": True}


def hostile(payload: dict[str, Any]) -> dict[str, Any]:
    """Returns markup as data, or fails with it as the error message."""
    if payload.get("fail"):
        raise NonRetryableError(XSS_IMG + XSS_SCRIPT, type="Hostile" + XSS_SCRIPT)
    return {"html": XSS_IMG, "script": XSS_SCRIPT}
