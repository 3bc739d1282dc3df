"""`legato triggers list | show | create | delete | pause | resume`: Kafka-topic triggers (one run per
record), over the API (`/triggers`)."""

from typing import Annotated, Any

import typer
from rich.markup import escape

from legato.cli.client import connect, seg
from legato.cli.options import json_object_file
from legato.cli.output import Output, cell, output, when

app = typer.Typer(
    help="List, show, create and delete Kafka-topic triggers (one run per record); pause or resume one.",
    no_args_is_help=True,
)

TriggerId = Annotated[str, typer.Argument(metavar="ID", help="The trigger's id.")]


def _count(t: dict[str, Any], name: str) -> str:
    return cell((t.get("counts") or {}).get(name))


@app.command("list")
def list_triggers(ctx: typer.Context) -> None:
    """Every trigger: its topic, workflow, lag and what its records became."""
    out = output(ctx)
    with connect(ctx) as api:
        body = api.get("/triggers")
    if out.as_json:
        out.json(body)
        return
    rows = [
        [
            t["id"],
            cell((t.get("kafka") or {}).get("topic")),
            t["workflowId"],
            cell(t.get("ordering")),
            cell(bool(t.get("paused"))),
            cell(t.get("lag")),
            _count(t, "started"),
            _count(t, "duplicates"),
            _count(t, "deadLettered"),
        ]
        for t in body.get("triggers", [])
    ]
    columns = [
        "TRIGGER",
        "TOPIC",
        "WORKFLOW",
        "ORDERING",
        "PAUSED",
        "LAG",
        "STARTED",
        "DUPLICATES",
        "DEAD LETTERED",
    ]
    out.table(columns, rows)


def print_trigger(out: Output, t: dict[str, Any]) -> None:
    kafka = t.get("kafka") or {}
    out.fields(
        [
            ("trigger", t["id"]),
            (
                "topic",
                cell(kafka.get("topic")) + (" (from the beginning)" if kafka.get("fromBeginning") else ""),
            ),
            ("workflow", t["workflowId"]),
            ("input", cell(t.get("input"))),
            ("idempotency key", cell(t.get("idempotencyKey"))),
            ("ordering", cell(t.get("ordering"))),
            ("paused", cell(bool(t.get("paused")))),
            ("consumer group", cell(t.get("consumerGroup"))),
            ("dead letters to", cell(t.get("deadLetterTopic"))),
            ("lag", cell(t.get("lag"))),
            ("held", cell(t.get("held"))),
            ("queued", cell(t.get("queued"))),
            ("started", _count(t, "started")),
            ("duplicates", _count(t, "duplicates")),
            ("dead-lettered", _count(t, "deadLettered")),
            ("created", when(t.get("createdAt"))),
            ("updated", when(t.get("updatedAt"))),
        ]
    )


def _print(out: Output, t: dict[str, Any], what: str | None = None) -> None:
    if out.as_json:
        out.json(t)
    elif what is None:
        print_trigger(out, t)
    else:
        out.line(f"{escape(t['id'])}: {what}")


@app.command("show")
def show(ctx: typer.Context, trigger_id: TriggerId) -> None:
    """One trigger: its spec, consumer group, dead-letter topic, lag and counts."""
    out = output(ctx)
    with connect(ctx) as api:
        t = api.get(f"/triggers/{seg(trigger_id)}")
    _print(out, t)


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[str, typer.Option("--file", "-f", help="The trigger (a JSON object); `-` reads stdin.")],
) -> None:
    """Create a trigger from a JSON file (`POST /triggers`); an id that exists is refused (exit 1)."""
    out = output(ctx)
    spec = json_object_file(file)
    with connect(ctx) as api:
        t = api.post("/triggers", spec)
    topic = escape(cell((t.get("kafka") or {}).get("topic")))
    _print(out, t, f"created, reading {topic} (dead letters to {escape(cell(t.get('deadLetterTopic')))})")


@app.command("delete")
def delete(ctx: typer.Context, trigger_id: TriggerId) -> None:
    """Delete a trigger: it reads no more records (those queued for their key are dropped); the runs
    it started stay."""
    out = output(ctx)
    with connect(ctx) as api:
        api.delete(f"/triggers/{seg(trigger_id)}")
    if out.as_json:
        out.json({"id": trigger_id, "deleted": True})  # the API answers 204, no body
    else:
        out.line(f"{escape(trigger_id)}: deleted")


@app.command("pause")
def pause(ctx: typer.Context, trigger_id: TriggerId) -> None:
    """Pause a trigger: it takes no record until resumed (they wait on the topic; nothing is lost)."""
    out = output(ctx)
    with connect(ctx) as api:
        t = api.post(f"/triggers/{seg(trigger_id)}/pause")
    _print(out, t, "paused")


@app.command("resume")
def resume(ctx: typer.Context, trigger_id: TriggerId) -> None:
    """Resume a paused trigger from where it stopped reading."""
    out = output(ctx)
    with connect(ctx) as api:
        t = api.post(f"/triggers/{seg(trigger_id)}/resume")
    _print(out, t, "resumed")
