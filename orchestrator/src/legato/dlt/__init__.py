"""Dead letters: read them back from Kafka, and replay them into their runs."""

from legato.dlt.reader import DeadLetterRecord, read_dead_letters
from legato.dlt.replay import ReplayError, ReplayOutcome, replay

__all__ = ["DeadLetterRecord", "ReplayError", "ReplayOutcome", "read_dead_letters", "replay"]
