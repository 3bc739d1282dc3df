"""Before/after on one machine: alternate two revisions' orchestrator and Python worker SDK under the
same bench, round by round, so both see the same machine (docs/performance.md).

    .venv/bin/python tests/bench/paired.py --before 24a452b --rounds 3 -- --runs 3000

Each revision is checked out once into .legato/paired/<rev> (a git worktree). For each round and
revision, the dev stack's orchestrator (`make up`) is restarted with that revision's code first on
PYTHONPATH, and tests/bench/bench.py of this tree runs with the same PYTHONPATH (its worker
processes inherit it). The database schema must be the same for both revisions (no migration in
between). Every figure bench.py prints is collected; the table shows each round side by side.
Run it on an idle machine: the stack's orchestrator is restarted, and left running the "after" code.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def _tree(rev: str) -> Path:
    if rev == "HEAD":
        return ROOT
    path = ROOT / ".legato" / "paired" / rev
    if not path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True)
    return path


def _pythonpath(tree: Path) -> str:
    return os.pathsep.join(
        str(tree / p / "src") for p in ("orchestrator", "protocol-python", "worker-sdk-python")
    )


def _restart(env: dict[str, str]) -> None:
    subprocess.run(
        [str(ROOT / "deploy" / "proc.sh"), "stop", "orchestrator"], check=True, capture_output=True
    )
    subprocess.run(
        ["make", "-C", str(ROOT), "--no-print-directory", "up"], check=True, env=env, capture_output=True
    )


def _bench(env: dict[str, str], args: list[str]) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, str(HERE / "bench.py"), *args], env=env, capture_output=True, text=True, timeout=900
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench failed:\n{out.stdout}\n{out.stderr}")
    figures: dict[str, str] = {}
    for line in out.stdout.splitlines():
        if m := re.match(r"^(\S.*?)\s{2,}(\S.*)$", line):
            figures[m.group(1).strip()] = m.group(2).strip()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", required=True, help="a git revision")
    parser.add_argument("--after", default="HEAD", help="a git revision (default: this tree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warmup",
        action="store_true",
        help="run the bench once first, on the 'before' side, and discard it: a fresh stack's broker "
        "and PostgreSQL are slower in their first minutes, which round 1's 'before' would pay alone",
    )
    parser.add_argument("bench_args", nargs="*", help="arguments of bench.py, after --")
    args = parser.parse_args()
    sides = {"before": _tree(args.before), "after": _tree(args.after)}
    if args.warmup:
        env = {**os.environ, "PYTHONPATH": _pythonpath(sides["before"])}
        _restart(env)
        _bench(env, args.bench_args)
        print("warm-up done", flush=True)
    rounds: list[dict[str, dict[str, str]]] = []
    for n in range(args.rounds):
        rounds.append({})
        for side, tree in sides.items():
            env = {**os.environ, "PYTHONPATH": _pythonpath(tree)}
            _restart(env)
            rounds[-1][side] = _bench(env, args.bench_args)
            print(f"round {n + 1} {side}: {rounds[-1][side].get('runs/s (end to end)')} runs/s", flush=True)
    keys = [k for k in rounds[0]["after"] if k in rounds[0]["before"]]
    width = max(len(k) for k in keys)
    print(f"\nbench.py {' '.join(args.bench_args)}; before {args.before}, after {args.after}")
    for key in keys:
        cells = "  ".join(f"{r['before'][key]:>18} | {r['after'][key]:<18}" for r in rounds)
        print(f"{key:<{width}}  {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
