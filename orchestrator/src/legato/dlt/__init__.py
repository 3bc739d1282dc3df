"""Dead letters: the `dead_letters` table the engine writes, and replaying them into their runs."""

from legato.dlt.records import get_row
from legato.dlt.replay import Replayed, ReplayError, ReplayOutcome, replay
from legato.store.dlt_sql import DeadLetterRow

__all__ = [
    "DeadLetterRow",
    "ReplayError",
    "ReplayOutcome",
    "Replayed",
    "get_row",
    "replay",
]
