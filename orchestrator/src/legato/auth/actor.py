"""Who the current request acts as, for the run events of operator actions (cancel, retry, replay)."""

from contextvars import ContextVar

current: ContextVar[str | None] = ContextVar("legato_actor", default=None)
