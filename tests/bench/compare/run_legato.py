"""`make bench-compare`, Legato: tests/bench/bench.py on the running dev stack, twice (saturation,
then light load), each writing its figures with --json (the orchestrator's venv).

bench.py starts one no-op Python worker process and triggers over HTTP through `clients` keep-alive
connections; run latency and the span are the orchestrator's record of each run in PostgreSQL
(runs.created_at -> runs.ended_at).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import add_phase_arguments, exit_on_sigterm, write_result

BENCH = Path(__file__).parents[1] / "bench.py"


def bench(args: argparse.Namespace, runs: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        command = [sys.executable, str(BENCH), "--api", args.api, "--database-url", args.database_url]
        command += ["--runs", str(runs), "--rate", str(rate), "--clients", str(args.clients)]
        command += ["--timeout", str(args.timeout), "--json", str(out)]
        proc = subprocess.run(command, check=False)
        if not out.exists():
            raise SystemExit(f"bench.py exited {proc.returncode} without figures")
        figures: dict[str, Any] = json.loads(out.read_text())
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument("--database-url", required=True)
    add_phase_arguments(parser, 2000)
    args = parser.parse_args()
    exit_on_sigterm()
    result: dict[str, Any] = {"system": "Legato"}
    if args.runs:
        result["saturation"] = bench(args, args.runs, 0)
    if args.light_runs:
        result["light"] = bench(args, args.light_runs, args.rate)
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # SIGTERM from the driver: everything started here is stopped
        sys.exit(130)
