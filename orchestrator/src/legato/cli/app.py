"""The `legato` Typer app: the global options, the command groups, and `run`, which turns every
outcome into an exit code and every error into one line on stderr (docs/cli.md)."""

import sys
from enum import Enum
from typing import Annotated

import typer
from rich.markup import escape

from legato import redaction
from legato.cli import actions, dlt, keys, runs, schedules, serve, trigger, triggers, workers, workflows
from legato.cli.client import DEFAULT_API, CliError, ExitCode, Globals
from legato.cli.output import console
from legato.redaction import redact


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


app = typer.Typer(
    name="legato",
    help="Legato: define, trigger and operate workflows through the API; serve the API itself.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    ctx: typer.Context,
    api: Annotated[
        str, typer.Option("--api", envvar="LEGATO_API_URL", help="The API's base URL.", show_envvar=True)
    ] = DEFAULT_API,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="LEGATO_API_KEY",
            help="An API key, sent as `Authorization: Bearer <key>`.",
            show_envvar=True,
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option("--output", "-o", help="table (for people) or json (the API's JSON, for scripts)."),
    ] = OutputFormat.table,
) -> None:
    ctx.obj = Globals(api=api, api_key=api_key or None, output=output.value)


app.add_typer(workflows.app, name="workflows")
app.add_typer(runs.app, name="runs")
app.command("trigger", help=trigger.HELP)(trigger.trigger)
app.add_typer(dlt.app, name="dlt")
app.add_typer(schedules.app, name="schedules")
app.add_typer(triggers.app, name="triggers")
app.add_typer(actions.app, name="actions")
app.command("workers", help=workers.HELP)(workers.workers)
app.add_typer(keys.app, name="keys")
app.command("serve", help="Run the API, and the engine in a child process.")(serve.serve)
app.command("migrate", help="Bring the database schema up to date.")(serve.migrate)


# The global options (each takes a value). They may also follow the command (`legato runs list
# --output json`): `run` moves them to the front, where the parser wants them.
GLOBAL_OPTIONS = frozenset({"--api", "--api-key", "--output", "-o"})


def hoist_global_options(args: list[str]) -> list[str]:
    """The command line with every global option (and its value) moved to the front; nothing after
    a `--` moves."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        elif arg in GLOBAL_OPTIONS:
            front.extend(args[i : i + 2])
            i += 1
        elif arg.startswith("-o") and not arg.startswith("--"):  # -ojson
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _fail(message: str, code: int) -> int:
    console(stderr=True).print(f"legato: error: {escape(redact(message))}", soft_wrap=True)
    return code


def run(argv: list[str] | None = None) -> int:
    """Run one command line; answer its exit code (never raises, never prints a traceback)."""
    redaction.install()  # no password in an error line or a log line (legato.redaction)
    command = typer.main.get_command(app)
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="legato", standalone_mode=False)
    except CliError as exc:
        return _fail(exc.message, exc.code)
    except typer.TyperException as exc:  # the parser's errors (typer's click): usage, exit 2
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return ExitCode.USAGE  # the group's help is printed already
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None and exc.exit_code == 2 else ""
        return _fail(f"{exc.format_message()}{where}", exc.exit_code)
    except typer.Abort:
        return _fail("interrupted", 130)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return ExitCode.OK
    return result if isinstance(result, int) else ExitCode.OK
