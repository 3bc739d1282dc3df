"""Statements behind GET /workers."""

# Attempts waiting for a worker or running, per action (the outbox's and the deadlines' indexes).
QUEUED_BY_ACTION = """
SELECT action, count(*) FILTER (WHERE state = 'PENDING' OR started_at IS NULL), count(*)
FROM jobs WHERE state IN ('PENDING', 'DISPATCHED') GROUP BY action
"""
