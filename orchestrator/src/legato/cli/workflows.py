"""`legato workflows list | show | define | graph`: workflow definitions."""

import json
import re
from enum import Enum
from typing import Annotated, Any

import typer

from legato.cli.client import CliError, ExitCode, connect, seg
from legato.cli.options import read_text, usage
from legato.cli.output import Output, cell, output, when

app = typer.Typer(help="List, show, define and draw workflow definitions.", no_args_is_help=True)


class GraphFormat(str, Enum):
    ascii = "ascii"
    mermaid = "mermaid"


@app.command("list")
def list_workflows(ctx: typer.Context) -> None:
    """Every defined workflow (its latest version)."""
    out = output(ctx)
    with connect(ctx) as api:
        body = api.get("/workflow/")
    if out.as_json:
        out.json(body)
        return
    rows = [
        [w["id"], str(w["version"]), str(len(w.get("steps", []))), when(w.get("createdAt"))]
        for w in body.get("workflows", [])
    ]
    out.table(["WORKFLOW", "VERSION", "STEPS", "DEFINED"], rows)


def _definition(ctx: typer.Context, workflow_id: str, version: int | None) -> dict[str, Any]:
    with connect(ctx) as api:
        found: dict[str, Any] = api.get(f"/workflow/{seg(workflow_id)}", version=version)
    return found


VersionOption = Annotated[
    int | None, typer.Option("--version", "-v", min=1, help="This version (default: the latest).")
]


@app.command("show")
def show(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    version: VersionOption = None,
) -> None:
    """One definition: its version and steps."""
    out = output(ctx)
    d = _definition(ctx, workflow_id, version)
    if out.as_json:
        out.json(d)
        return
    out.fields([("workflow", d["id"]), ("version", str(d["version"])), ("defined", when(d.get("createdAt")))])
    out.line()
    rows = []
    for s in steps(d):
        kind = s.raw.get("action") or _kind(s) or "-"
        extra = [k for k in ("forEach", "when", "wait", "signal", "workflow", "retry") if k in s.raw]
        rows.append([s.id, cell(kind), ", ".join(s.needs) or "-", ", ".join(extra) or "-"])
    out.table(["STEP", "ACTION", "AFTER", "WITH"], rows)


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Option("--file", "-f", help="A definition, or a list of them (JSON); `-` reads stdin."),
    ],
) -> None:
    """Define workflows from a JSON file: one definition or a list (defined in order).

    The same body again changes nothing; a different body for the same id makes a new version
    (runs keep the version they started with)."""
    out = output(ctx)
    text = read_text(file, "--file")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise usage(
            f"--file {file}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    bodies = body if isinstance(body, list) else [body]
    if not bodies:
        raise usage(f"--file {file}: an empty list defines nothing")
    with connect(ctx) as api:
        for one in bodies:
            response = api.request("POST", "/workflow/", body=one)
            stored = response.json()
            if out.as_json:
                out.json_line(stored) if isinstance(body, list) else out.json(stored)
                continue
            what = (
                "defined" if response.status_code == 201 else "unchanged (the latest version has this body)"
            )
            out.line(f"{stored['id']} version {stored['version']}: {what}")


app.command("define", help="The same as `apply` (its first name).")(apply)


class Step:
    def __init__(self, step_id: str, needs: list[str], raw: dict[str, Any]) -> None:
        self.id = step_id
        self.needs = needs
        self.raw = raw


def steps(definition: dict[str, Any]) -> list[Step]:
    """The steps with what each waits for: `dependsOn` (graphs) or the previous step (the linear
    `stepIndex` format)."""
    raw_steps = [s for s in definition.get("steps", []) if isinstance(s, dict)]
    if raw_steps and all("stepIndex" in s for s in raw_steps):
        ordered = sorted(raw_steps, key=lambda s: int(s["stepIndex"]))
        out: list[Step] = []
        for s in ordered:
            step_id = str(s.get("id") or s.get("action") or f"step{s['stepIndex']}")
            out.append(Step(step_id, [out[-1].id] if out else [], s))
        return out
    return [Step(str(s.get("id")), [str(d) for d in s.get("dependsOn") or []], s) for s in raw_steps]


def layers(all_steps: list[Step]) -> list[list[Step]]:
    """Steps in layers: each after every step it waits for (a definition is acyclic)."""
    depth: dict[str, int] = {}
    by_id = {s.id: s for s in all_steps}

    def level(s: Step, seen: frozenset[str] = frozenset()) -> int:
        if s.id not in depth:
            parents = [by_id[n] for n in s.needs if n in by_id and n not in seen]
            depth[s.id] = 1 + max((level(p, seen | {s.id}) for p in parents), default=-1)
        return depth[s.id]

    out: list[list[Step]] = []
    for s in all_steps:
        d = level(s)
        while len(out) <= d:
            out.append([])
        out[d].append(s)
    return out


def _kind(s: Step) -> str | None:
    """What a step that runs no job does: `wait`, `signal <name>`, `workflow <id>`; None for a task."""
    if "wait" in s.raw:
        return "wait"
    if isinstance(s.raw.get("signal"), dict):
        return f"signal {s.raw['signal'].get('name')}"
    if isinstance(s.raw.get("workflow"), dict):
        child = s.raw["workflow"]
        version = f" v{child['version']}" if child.get("version") is not None else ""
        return f"workflow {child.get('id')}{version}"
    return None


def _label(s: Step) -> str:
    action = s.raw.get("action")
    if action and action != s.id:
        return f"{s.id} ({action})"
    kind = _kind(s)
    if not action and kind:
        return f"{s.id} ({kind})"
    return s.id


def mermaid(definition: dict[str, Any]) -> str:
    all_steps = steps(definition)
    names = {s.id: f"s{i}" for i, s in enumerate(all_steps)}
    lines = ["flowchart TD"]
    for s in all_steps:
        text = re.sub(r'["\[\]{}<>|]', "_", _label(s))
        shape = f'{{"{text}"}}' if "when" in s.raw else f'["{text}"]'
        lines.append(f"    {names[s.id]}{shape}")
    for s in all_steps:
        for n in s.needs:
            if n in names:
                lines.append(f"    {names[n]} --> {names[s.id]}")
    return "\n".join(lines)


def ascii_graph(definition: dict[str, Any]) -> str:
    lines = [f"{definition.get('id')} (version {definition.get('version')})"]
    for i, layer in enumerate(layers(steps(definition))):
        for j, s in enumerate(layer):
            prefix = f"{i + 1:>3}  " if j == 0 else "     "
            after = f"  <- {', '.join(s.needs)}" if s.needs else ""
            lines.append(f"{prefix}{_label(s)}{after}")
    return "\n".join(lines)


@app.command("graph")
def graph(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[
        GraphFormat, typer.Option("--format", help="ascii (layers) or mermaid (a flowchart).")
    ] = GraphFormat.ascii,
    version: VersionOption = None,
) -> None:
    """Draw a workflow's steps and what each waits for."""
    out: Output = output(ctx)
    d = _definition(ctx, workflow_id, version)
    if not d.get("steps"):
        raise CliError(f"workflow {workflow_id} has no steps", ExitCode.FAILED)
    text = mermaid(d) if fmt is GraphFormat.mermaid else ascii_graph(d)
    if out.as_json:
        out.json({"id": d["id"], "version": d["version"], "format": fmt.value, "graph": text})
        return
    print(text)
