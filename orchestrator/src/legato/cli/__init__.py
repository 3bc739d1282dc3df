"""The `legato` command: serve, migrate, dlt."""

import argparse
import sys

from legato.cli import dlt, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="legato", description="Legato workflow orchestrator")
    sub = parser.add_subparsers(dest="command", required=True)
    serve.register(sub)
    dlt.register(sub)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
