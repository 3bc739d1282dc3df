"""Flow control the operator sets: per-action limits, and admission control (backpressure)."""
