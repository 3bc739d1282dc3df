"""Statements behind the run event streams (runs.feed, api.event_stream).

Migration 0017 makes every statement that appends to `run_events` NOTIFY `EVENTS_CHANNEL` with the
distinct run ids it touched (comma-separated), or an empty payload when there were too many to
name: then any run may have new events.
"""

EVENTS_CHANNEL = "legato_events"
LISTEN_EVENTS = f"LISTEN {EVENTS_CHANNEL}"

# Read before the run's events (in a separate statement): when it says the run has ended, the events
# read after it include the last one, written in the same transaction as the status.
RUN_STATUS = "SELECT status FROM runs WHERE run_id = %s"
