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
from legato.store.rows import fetch_all, fetch_one


class UnknownWorkflow(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Stored:
    workflow_id: str
    version: int
    body: dict[str, Any]
    created_at: datetime
    created: bool = False  # this call made a new version

    @classmethod
    def of(cls, row: sql.DefinitionRow) -> "Stored":
        return cls(row.workflow_id, row.version, row.definition, row.created_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.workflow_id,
            "version": self.version,
            "steps": self.body["steps"],
            **{k: self.body[k] for k in ("concurrency", "maxBacklog", "priority") if k in self.body},
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
            latest = fetch_one(conn, sql.LatestRow, sql.LATEST, (wid,))
            if latest is not None and latest.body_hash == digest:
                row = fetch_one(conn, sql.DefinitionRow, sql.GET_VERSION, (wid, latest.version))
                assert row is not None
                return Stored.of(row), definition
            version = 1 if latest is None else latest.version + 1
            created = fetch_one(
                conn, sql.InsertedRow, sql.INSERT, (wid, version, orjson.dumps(body).decode(), digest)
            )
            assert created is not None
        self._parsed[(wid, version)] = definition
        return Stored(wid, version, body, created.created_at, created=True), definition

    def latest(self, workflow_id: str) -> Stored:
        with self._pool.connection() as conn:
            row = fetch_one(conn, sql.DefinitionRow, sql.GET_LATEST, (workflow_id,))
        if row is None:
            raise UnknownWorkflow(workflow_id)
        return Stored.of(row)

    def version(self, workflow_id: str, version: int) -> Stored:
        with self._pool.connection() as conn:
            row = fetch_one(conn, sql.DefinitionRow, sql.GET_VERSION, (workflow_id, version))
        if row is None:
            raise UnknownWorkflow(f"{workflow_id} version {version}")
        return Stored.of(row)

    def list_latest(self) -> list[Stored]:
        with self._pool.connection() as conn:
            rows = fetch_all(conn, sql.DefinitionRow, sql.LIST_LATEST)
        return [Stored.of(r) for r in rows]

    def actions(self) -> list[str]:
        with self._pool.connection() as conn:
            return [r.action for r in fetch_all(conn, sql.ActionRow, sql.ALL_ACTIONS)]

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
