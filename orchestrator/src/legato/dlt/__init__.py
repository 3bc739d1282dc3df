"""Dead letters: the `dead_letters` table the engine writes, and replaying them into their runs."""

from legato.dlt.records import Filters, UnknownId, get_row, list_rows, resolve
from legato.dlt.replay import Replayed, ReplayError, ReplayOutcome, replay
from legato.store.dlt_sql import DeadLetterRow

__all__ = [
    "DeadLetterRow",
    "Filters",
    "ReplayError",
    "ReplayOutcome",
    "Replayed",
    "UnknownId",
    "get_row",
    "list_rows",
    "replay",
    "resolve",
]
