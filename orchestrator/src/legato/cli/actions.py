"""`legato actions limits set | show | clear`: an action's flow control, global across every worker
and orchestrator: at most N jobs in flight, at most LIMIT started per PERIOD (`/actions/.../limits`)."""

from typing import Annotated, Any

import typer
from rich.markup import escape

from legato.cli.client import connect, seg
from legato.cli.options import usage
from legato.cli.output import Output, cell, output, when
from legato.cli.rates import MAX_LIMIT, parse_rate, rate_text

app = typer.Typer(
    help="Actions (the job types workers serve): their flow-control limits.", no_args_is_help=True
)
limits = typer.Typer(
    help="Set, show and clear an action's limits: jobs in flight at once, and jobs started per period.",
    no_args_is_help=True,
)
app.add_typer(limits, name="limits")

Action = Annotated[str, typer.Argument(metavar="ACTION", help="The action's name (a step's `action`).")]
COLUMNS = ["ACTION", "MAX CONCURRENT", "RATE", "IN FLIGHT", "THROTTLED", "TOKENS", "UPDATED"]


def _rate(a: dict[str, Any]) -> str:
    rate = a.get("rate")
    return rate_text(rate["limit"], rate["periodSeconds"]) if rate else "-"


def _tokens(value: Any) -> str:
    """Rate tokens left: whole, or to two decimals (they refill continuously)."""
    if value is None:
        return "-"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.2f}"


def _row(a: dict[str, Any]) -> list[str]:
    return [
        a["action"],
        cell(a.get("maxConcurrent")),
        _rate(a),
        cell(a.get("inFlight")),
        cell(a.get("throttled")),
        _tokens(a.get("tokens")),
        when(a.get("updatedAt")),
    ]


def print_limits(out: Output, a: dict[str, Any]) -> None:
    out.fields(
        [
            ("action", a["action"]),
            ("max concurrent", cell(a.get("maxConcurrent"))),
            ("rate", _rate(a)),
            ("in flight", cell(a.get("inFlight"))),
            ("throttled", cell(a.get("throttled"))),
            ("tokens", _tokens(a.get("tokens"))),
            ("updated", when(a.get("updatedAt"))),
        ]
    )


@limits.command("set")
def set_limits(
    ctx: typer.Context,
    action: Action,
    max_concurrent: Annotated[
        int | None,
        typer.Option(
            "--max-concurrent", min=1, max=MAX_LIMIT, help="At most this many of its jobs in flight at once."
        ),
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(
            "--rate", metavar="LIMIT/PERIOD", help="At most LIMIT jobs started per PERIOD: 10/1s, 100/1m."
        ),
    ] = None,
) -> None:
    """Set ACTION's limits (`PUT /actions/{action}/limits`). They replace the ones it had: a limit not
    given here is no limit."""
    out = output(ctx)
    if max_concurrent is None and rate is None:
        raise usage("give --max-concurrent N, --rate LIMIT/PERIOD or both (`clear` removes the limits)")
    body: dict[str, Any] = {"maxConcurrent": max_concurrent, "rate": None}
    if rate is not None:
        try:
            body["rate"] = parse_rate(rate).body()
        except ValueError as exc:
            raise usage(f"--rate {rate!r}: {exc}") from None
    with connect(ctx) as api:
        saved = api.json("PUT", f"/actions/{seg(action)}/limits", body=body)
    if out.as_json:
        out.json(saved)
        return
    out.line(
        f"{escape(saved['action'])}: max concurrent {escape(cell(saved.get('maxConcurrent')))}, "
        f"rate {escape(_rate(saved))}"
    )


@limits.command("show")
def show(
    ctx: typer.Context,
    action: Annotated[
        str | None, typer.Argument(metavar="[ACTION]", help="One action; none: every action with limits.")
    ] = None,
) -> None:
    """One action's limits and how they hold now (in flight, throttled, tokens left), or a table of
    every action that has limits."""
    out = output(ctx)
    with connect(ctx) as api:
        found = api.get("/actions/limits" if action is None else f"/actions/{seg(action)}/limits")
    if out.as_json:
        out.json(found)
    elif action is None:
        out.table(COLUMNS, [_row(a) for a in found.get("items", [])])
    else:
        print_limits(out, found)


@limits.command("clear")
def clear(ctx: typer.Context, action: Action) -> None:
    """Remove ACTION's limits (`DELETE /actions/{action}/limits`); an action without any is a 404."""
    out = output(ctx)
    with connect(ctx) as api:
        api.delete(f"/actions/{seg(action)}/limits")
    if out.as_json:
        out.json({"action": action, "cleared": True})  # the API answers 204, no body
    else:
        out.line(f"{escape(action)}: limits cleared")
