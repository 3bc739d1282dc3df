"""Statements for versioned workflow definitions.

A statement that answers rows has its row type beside it (read with store.rows.fetch_all).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Serialise definers of one workflow id so versions are dense and a body is stored once.
LOCK_WORKFLOW = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

LATEST = """
SELECT version, body_hash FROM workflow_definitions
WHERE workflow_id = %s ORDER BY version DESC LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class LatestRow:
    """A workflow's latest version, as LATEST reads it: the hash of its body."""

    version: int
    body_hash: str


INSERT = """
INSERT INTO workflow_definitions (workflow_id, version, definition, body_hash)
VALUES (%s, %s, %s::jsonb, %s)
RETURNING created_at
"""


@dataclass(frozen=True, slots=True)
class InsertedRow:
    """When INSERT stored the version."""

    created_at: datetime


GET_VERSION = """
SELECT workflow_id, version, definition, created_at FROM workflow_definitions
WHERE workflow_id = %s AND version = %s
"""


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    """A stored version (GET_VERSION, GET_LATEST, LIST_LATEST; runs_sql.LATEST_DEFINITIONS)."""

    workflow_id: str
    version: int
    definition: dict[str, Any]
    created_at: datetime


GET_LATEST = """
SELECT workflow_id, version, definition, created_at FROM workflow_definitions
WHERE workflow_id = %s ORDER BY version DESC LIMIT 1
"""

LIST_LATEST = """
SELECT DISTINCT ON (workflow_id) workflow_id, version, definition, created_at
FROM workflow_definitions ORDER BY workflow_id, version DESC
"""

ALL_ACTIONS = """
SELECT DISTINCT step->>'action' AS action
FROM workflow_definitions, jsonb_array_elements(definition->'steps') AS step
WHERE step ? 'action'
"""


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An action some stored version's steps name (ALL_ACTIONS)."""

    action: str


# Whether a workflow is defined (what a schedule or a trigger starts must be).
WORKFLOW_DEFINED = "SELECT EXISTS (SELECT 1 FROM workflow_definitions WHERE workflow_id = %s) AS defined"


@dataclass(frozen=True, slots=True)
class DefinedRow:
    defined: bool
