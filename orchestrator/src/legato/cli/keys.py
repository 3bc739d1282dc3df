"""`legato keys create|list|revoke`: API keys, straight in the database (how the first admin key is
made; LEGATO_DATABASE_URL). A key is printed once, at creation; only its hash is stored."""

import argparse
import json
import sys

from psycopg_pool import ConnectionPool

from legato.auth import keys
from legato.auth.scopes import SCOPES
from legato.settings import Settings
from legato.store.migrate import upgrade


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="create a key and print it (the only time it is shown)")
    create.add_argument("--name", required=True, help="who or what uses it (recorded with its actions)")
    create.add_argument("--scope", required=True, choices=SCOPES, help="read < trigger < operate < admin")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    listing.set_defaults(run=_list)
    revoke = actions.add_parser("revoke", help="revoke a key by id or name; its sessions end with it")
    revoke.add_argument("key", help="the key's id or name")
    revoke.set_defaults(run=_revoke)


def _pool() -> ConnectionPool:
    settings = Settings()
    upgrade(settings.sqlalchemy_url)
    return ConnectionPool(settings.database_url, min_size=1, max_size=2, open=True)


def _create(args: argparse.Namespace) -> int:
    with _pool() as pool:
        try:
            created = keys.create(pool, args.name, args.scope)
        except keys.InvalidKeyRequest as exc:
            print(f"legato keys: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(
            json.dumps(
                {"id": str(created.key_id), "name": created.name, "scope": created.scope, "key": created.key}
            )
        )
    else:
        print(created.key)
        print(
            f"(key {created.name!r}, scope {created.scope}: shown only now, store it safely)", file=sys.stderr
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    with _pool() as pool:
        rows = keys.list_keys(pool)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(f"{'NAME':<24} {'SCOPE':<8} {'PREFIX':<10} {'CREATED':<26} {'LAST USED':<26} REVOKED")
    for r in rows:
        print(
            f"{r['name']:<24} {r['scope']:<8} {r['prefix']:<10} {r['createdAt']:<26} "
            f"{r['lastUsedAt'] or '-':<26} {r['revokedAt'] or '-'}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with _pool() as pool:
        revoked = keys.revoke(pool, args.key)
    if not revoked:
        print(f"legato keys: no active key with id or name {args.key!r}", file=sys.stderr)
        return 1
    print(f"revoked: {', '.join(revoked)}")
    return 0
