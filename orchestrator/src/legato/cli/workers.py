"""`legato workers`: live workers per action, their lag, and actions with jobs but no worker."""

import typer
from rich.markup import escape

from legato.cli.client import connect
from legato.cli.output import cell, output

HELP = "Live workers per action (from Kafka's consumer groups), consumer lag, actions with no worker."


def workers(ctx: typer.Context) -> None:
    out = output(ctx)
    with connect(ctx) as api:
        body = api.get("/workers")
    if out.as_json:
        out.json(body)
        return
    rows = []
    for action, info in sorted(body.get("actions", {}).items()):
        hosts = sorted({w.get("host") or "?" for w in info.get("workers", [])})
        rows.append(
            [
                action,
                str(len(info.get("workers", []))),
                ", ".join(info.get("languages", [])) or "-",
                ", ".join(hosts) or "-",
                cell(info.get("lag")),
                cell(info.get("queuedJobs")),
                cell(info.get("openJobs")),
                escape(cell(info.get("state"))),
            ]
        )
    for idle in body.get("noWorker", []):
        rows.append(
            [
                idle["action"],
                "[red]0[/]",
                "-",
                "-",
                cell(idle.get("lag")),
                cell(idle.get("queuedJobs")),
                cell(idle.get("openJobs")),
                "[red]no worker[/]",
            ]
        )
    out.table(
        ["ACTION", "WORKERS", "LANGUAGES", "HOSTS", "LAG", "QUEUED", "OPEN", "GROUP"], rows, marked=[1, 7]
    )
    if body.get("lagError"):
        out.note(f"lag unavailable: {body['lagError']}")
