"""`legato trigger WORKFLOW`: start a run, and with --wait, await its end."""

from typing import Annotated, Any

import typer

from legato.cli.client import CliError, ExitCode, connect, seg
from legato.cli.options import json_value
from legato.cli.output import output
from legato.cli.runs import print_run, wait_for_end

HELP = (
    "Start a run of WORKFLOW. With --wait, await its end: exit 0 if it COMPLETED, 1 if it FAILED "
    "or was CANCELLED (or --timeout passed first)."
)


def trigger(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(metavar="WORKFLOW", help="The workflow id.")],
    input_: Annotated[
        str | None, typer.Option("--input", "-i", help="The run's input: JSON, or @file (@- reads stdin).")
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option("--idempotency-key", "-k", help="The same key and input again answer the same run."),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Await the run's end; print it.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="With --wait: give up after this many seconds (exit 1).")
    ] = None,
) -> None:
    out = output(ctx)
    if timeout is not None and not wait:
        raise CliError("--timeout goes with --wait", ExitCode.USAGE)
    value: Any = None if input_ is None else json_value(input_, "--input")
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    with connect(ctx) as api:
        response = api.request(
            "POST", f"/workflow/{seg(workflow)}/trigger", body={"input": value}, headers=headers
        )
        started: dict[str, Any] = response.json()
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        run_id = started["runId"]
        if not wait:
            if out.as_json:
                out.json(started)
            else:
                out.line(run_id)
                if replayed:
                    out.note("(an earlier trigger with this idempotency key: the same run)")
            return
        if not out.as_json:
            out.note(f"run {run_id} started; waiting for it to end")
        run = wait_for_end(api, run_id, timeout)
    if out.as_json:
        out.json(run)
    else:
        print_run(out, run)
    if run["status"] != "COMPLETED":
        raise typer.Exit(ExitCode.FAILED)
