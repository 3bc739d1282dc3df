"""Store and load versioned definitions; parsed versions are cached (a version never changes)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from psycopg_pool import ConnectionPool

from legato.definitions.model import Definition
from legato.definitions.parse import parse_definition
from legato.store import definitions_sql as sql


class UnknownWorkflow(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Stored:
    workflow_id: str
    version: int
    body: dict[str, Any]
    created_at: datetime
    created: bool = False  # this call made a new version

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.workflow_id,
            "version": self.version,
            "steps": self.body["steps"],
            "createdAt": self.created_at.isoformat(),
        }


def body_hash(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class DefinitionRegistry:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._parsed: dict[tuple[str, int], Definition] = {}

    def define(self, body: dict[str, Any]) -> tuple[Stored, Definition]:
        """Store `body` (already validated) as a new version unless it equals the latest one."""
        definition = parse_definition(body)
        digest = body_hash(body)
        wid = definition.workflow_id
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(sql.LOCK_WORKFLOW, (wid,))
            latest = conn.execute(sql.LATEST, (wid,)).fetchone()
            if latest is not None and latest[1] == digest:
                row = conn.execute(sql.GET_VERSION, (wid, latest[0])).fetchone()
                assert row is not None
                return Stored(row[0], row[1], row[2], row[3]), definition
            version = 1 if latest is None else latest[0] + 1
            created = conn.execute(sql.INSERT, (wid, version, orjson.dumps(body).decode(), digest)).fetchone()
            assert created is not None
        self._parsed[(wid, version)] = definition
        return Stored(wid, version, body, created[0], created=True), definition

    def latest(self, workflow_id: str) -> Stored:
        with self._pool.connection() as conn:
            row = conn.execute(sql.GET_LATEST, (workflow_id,)).fetchone()
        if row is None:
            raise UnknownWorkflow(workflow_id)
        return Stored(row[0], row[1], row[2], row[3])

    def version(self, workflow_id: str, version: int) -> Stored:
        with self._pool.connection() as conn:
            row = conn.execute(sql.GET_VERSION, (workflow_id, version)).fetchone()
        if row is None:
            raise UnknownWorkflow(f"{workflow_id} version {version}")
        return Stored(row[0], row[1], row[2], row[3])

    def list_latest(self) -> list[Stored]:
        with self._pool.connection() as conn:
            rows = conn.execute(sql.LIST_LATEST).fetchall()
        return [Stored(r[0], r[1], r[2], r[3]) for r in rows]

    def actions(self) -> list[str]:
        with self._pool.connection() as conn:
            return [r[0] for r in conn.execute(sql.ALL_ACTIONS).fetchall()]

    def parsed(self, stored: Stored) -> Definition:
        key = (stored.workflow_id, stored.version)
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = parse_definition(stored.body)
        return found

    def get(self, workflow_id: str, version: int) -> Definition:
        found = self._parsed.get((workflow_id, version))
        if found is None:
            found = self.parsed(self.version(workflow_id, version))
        return found
