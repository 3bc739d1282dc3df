"""The engine's spans (docs/observability.md, "Traces"), as an observer of the engine: a PRODUCER
span per job sent (tracing.sends, kafka.publisher's SendTracer) and a CONSUMER span per result
processed.

Imported by the engine process only when tracing is on (legato.tracing.ENABLED), so a process
with tracing off loads no OpenTelemetry and its hot path has no tracing call at all.
"""

from legato.engine.observer import Decoded, EngineObserver
from legato.tracing import spans
from legato.tracing.sends import SendSpans


class TracingObserver(SendSpans, EngineObserver):
    def __init__(self, group: str) -> None:
        self._group = group

    def results_processed(self, decoded: Decoded, start_ns: int) -> None:
        if decoded:  # a CONSUMER span per result, batch start to commit
            spans.results_processed(decoded, self._group, start_ns)
