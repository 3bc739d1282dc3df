"""`legato keys create | list | revoke`: API keys, over the API (an admin key), or with --database
straight in PostgreSQL (LEGATO_DATABASE_URL): how the first admin key is made, before any key exists.
--database never migrates the schema unless given --migrate; a schema that is not current is an error.
A key is printed once, at creation; only its hash is stored."""

from enum import Enum
from typing import Annotated, Any

import typer

from legato.cli.client import CliError, ExitCode, connect, seg
from legato.cli.output import Output, output, when

app = typer.Typer(help="Create, list and revoke API keys (admin scope, or --database).", no_args_is_help=True)


class Scope(str, Enum):
    read = "read"
    trigger = "trigger"
    operate = "operate"
    admin = "admin"


DatabaseOption = Annotated[
    bool,
    typer.Option(
        "--database",
        help="Work on the database (LEGATO_DATABASE_URL) instead of the API: for the first admin key.",
    ),
]
MigrateOption = Annotated[
    bool,
    typer.Option(
        "--migrate",
        help="With --database: bring the schema up to date first (as `legato migrate`).",
    ),
]


def _pool(migrate: bool) -> Any:
    """A pool on LEGATO_DATABASE_URL whose schema is current: migrated only when asked (the
    database may be another version's, or not Legato's at all)."""
    import psycopg
    from psycopg_pool import ConnectionPool

    from legato.cli.serve import load_settings
    from legato.store.migrate import SchemaNotCurrent, check_current, upgrade

    settings = load_settings()
    try:
        if migrate:
            upgrade(settings.store.sqlalchemy_url)
        with psycopg.connect(settings.store.database_url, connect_timeout=10) as conn:
            check_current(conn)
        return ConnectionPool(settings.store.database_url, min_size=1, max_size=2, open=True, timeout=10)
    except SchemaNotCurrent as exc:
        raise CliError(
            f"{exc} ({settings.store.database_url}): run `legato migrate` first, or give --migrate",
            ExitCode.USAGE,
        ) from None
    except Exception as exc:  # one line, whatever the driver raised
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CliError(
            f"cannot use the database {settings.store.database_url}: {message}", ExitCode.UNAVAILABLE
        ) from None


def _no_migrate_without_database(database: bool, migrate: bool) -> None:
    if migrate and not database:
        raise CliError("--migrate goes with --database (the API's server migrates its own)", ExitCode.USAGE)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what uses it (recorded with its actions).")],
    scope: Annotated[Scope, typer.Option(help="read < trigger < operate < admin.")],
    database: DatabaseOption = False,
    migrate: MigrateOption = False,
) -> None:
    """Create a key and print it: the only time it is shown. An active key's name is unique;
    `anonymous` and names shaped like a key id are refused."""
    out = output(ctx)
    _no_migrate_without_database(database, migrate)
    if database:
        from legato.auth import keys

        with _pool(migrate) as pool:
            try:
                made = keys.create(pool, name, scope.value)
            except keys.InvalidKeyRequest as exc:
                raise CliError(str(exc), ExitCode.USAGE) from None
            except keys.NameTaken as exc:
                raise CliError(str(exc), ExitCode.FAILED) from None
        created = {
            "id": str(made.key_id),
            "name": made.name,
            "scope": made.scope,
            "key": made.key,
            "createdAt": made.created_at.isoformat(),
        }
    else:
        with connect(ctx) as api:
            created = api.post("/auth/keys", {"name": name, "scope": scope.value})
    if out.as_json:
        out.json(created)
        return
    print(created["key"], flush=True)
    out.note(f"(key {created['name']!r}, scope {created['scope']}: shown only now, store it safely)")


def _print_keys(out: Output, rows: list[dict[str, Any]]) -> None:
    out.table(
        ["ID", "NAME", "SCOPE", "PREFIX", "CREATED", "LAST USED", "REVOKED"],
        [
            [
                str(r.get("id", "-")),
                r["name"],
                r["scope"],
                r.get("prefix") or "-",
                when(r.get("createdAt")),
                when(r.get("lastUsedAt")),
                when(r.get("revokedAt")),
            ]
            for r in rows
        ],
    )


@app.command("list")
def list_keys(ctx: typer.Context, database: DatabaseOption = False, migrate: MigrateOption = False) -> None:
    """Every key (never the keys themselves)."""
    out = output(ctx)
    _no_migrate_without_database(database, migrate)
    if database:
        from legato.auth import keys

        with _pool(migrate) as pool:
            body = {"keys": keys.list_keys(pool)}
    else:
        with connect(ctx) as api:
            body = api.get("/auth/keys")
    if out.as_json:
        out.json(body)
    else:
        _print_keys(out, body.get("keys", []))


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The key's id or name.")],
    database: DatabaseOption = False,
    migrate: MigrateOption = False,
) -> None:
    """Revoke the active key with this id or name; its dashboard sessions end with it."""
    out = output(ctx)
    _no_migrate_without_database(database, migrate)
    if database:
        from legato.auth import keys

        with _pool(migrate) as pool:
            revoked = keys.revoke(pool, key)
        if not revoked:
            raise CliError(f"no active key with id or name {key!r}", ExitCode.NOT_FOUND)
        body: dict[str, Any] = {"revoked": revoked}
    else:
        with connect(ctx) as api:
            body = api.delete(f"/auth/keys/{seg(key)}")
    if out.as_json:
        out.json(body)
    else:
        out.line(f"revoked: {', '.join(body['revoked'])}")
