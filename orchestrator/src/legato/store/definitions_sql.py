"""Statements for versioned workflow definitions."""

# Serialise definers of one workflow id so versions are dense and a body is stored once.
LOCK_WORKFLOW = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

LATEST = """
SELECT version, body_hash FROM workflow_definitions
WHERE workflow_id = %s ORDER BY version DESC LIMIT 1
"""

INSERT = """
INSERT INTO workflow_definitions (workflow_id, version, definition, body_hash)
VALUES (%s, %s, %s::jsonb, %s)
RETURNING created_at
"""

GET_VERSION = """
SELECT workflow_id, version, definition, created_at FROM workflow_definitions
WHERE workflow_id = %s AND version = %s
"""

GET_LATEST = """
SELECT workflow_id, version, definition, created_at FROM workflow_definitions
WHERE workflow_id = %s ORDER BY version DESC LIMIT 1
"""

LIST_LATEST = """
SELECT DISTINCT ON (workflow_id) workflow_id, version, definition, created_at
FROM workflow_definitions ORDER BY workflow_id, version DESC
"""

ALL_ACTIONS = """
SELECT DISTINCT step->>'action' FROM workflow_definitions, jsonb_array_elements(definition->'steps') AS step
WHERE step ? 'action'
"""
