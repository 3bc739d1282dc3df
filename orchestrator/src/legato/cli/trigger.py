"""`legato trigger WORKFLOW`: start a run, and with --wait, await its end. A trigger the API refuses
as busy (429) is tried again after its Retry-After, with the same Idempotency-Key (cli.client)."""

import uuid
from typing import Annotated, Any

import typer

from legato.cli.client import MAX_WAIT_S, CliError, ExitCode, connect, seg
from legato.cli.options import json_value
from legato.cli.output import output
from legato.cli.runs import print_run, wait_for_end

HELP = (
    "Start a run of WORKFLOW. With --wait, await its end: exit 0 if it COMPLETED, 1 if it FAILED "
    "or was CANCELLED (or --timeout passed first). When the API is busy (429), try again after the "
    "wait it names, up to --max-wait seconds in all."
)
GENERATED_KEY = "legato-cli-"  # the prefix of the Idempotency-Key the CLI makes when given none


def trigger(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(metavar="WORKFLOW", help="The workflow id.")],
    input_: Annotated[
        str | None, typer.Option("--input", "-i", help="The run's input: JSON, or @file (@- reads stdin).")
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            "-k",
            help="The same key and input again answer the same run (none: the CLI makes one).",
        ),
    ] = None,
    priority: Annotated[
        int | None,
        typer.Option(min=1, max=5, help="1 (first) to 5 (last); default: the workflow's, else 3."),
    ] = None,
    max_wait: Annotated[
        float,
        typer.Option(min=0, help="While the API is busy (429): retry for at most this many seconds in all."),
    ] = MAX_WAIT_S,
    wait: Annotated[bool, typer.Option("--wait", help="Await the run's end; print it.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="With --wait: give up after this many seconds (exit 1).")
    ] = None,
) -> None:
    out = output(ctx)
    if timeout is not None and not wait:
        raise CliError("--timeout goes with --wait", ExitCode.USAGE)
    value: Any = None if input_ is None else json_value(input_, "--input")
    body: dict[str, Any] = {"input": value}
    if priority is not None:
        body["priority"] = priority
    # with a key, a retry after a 429 cannot start a second run
    headers = {"Idempotency-Key": idempotency_key or f"{GENERATED_KEY}{uuid.uuid4()}"}
    with connect(ctx, max_wait=max_wait) as api:
        response = api.request("POST", f"/workflow/{seg(workflow)}/trigger", body=body, headers=headers)
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
