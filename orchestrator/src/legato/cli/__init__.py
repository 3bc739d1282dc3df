"""The `legato` command: serve, migrate, dlt, keys."""

import argparse
import atexit
import os
import shutil
import sys
import tempfile

from legato.cli import dlt, keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="legato", description="Legato workflow orchestrator")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the API, and the engine in a child process").set_defaults(run=_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=_migrate)
    dlt.register(sub)
    keys.register(sub)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def _serve(args: argparse.Namespace) -> int:
    # The API and the engine process share one metrics view (prometheus_client multiprocess mode);
    # this must be set before prometheus_client is first imported, hence the late import below.
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        directory = tempfile.mkdtemp(prefix="legato-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        atexit.register(shutil.rmtree, directory, True)
    from legato.cli import serve

    return serve.serve(args)


def _migrate(args: argparse.Namespace) -> int:
    from legato.cli import serve

    return serve.migrate(args)


if __name__ == "__main__":
    sys.exit(main())
