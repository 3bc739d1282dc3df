"""The engine: results in, state transitions in one transaction per batch, jobs out."""
