"""What the CLI prints: JSON (the API's, indented; nothing else on stdout) or Rich tables and lines,
coloured only on a terminal (Rich decides; NO_COLOR is honoured), and progress bars on a terminal."""

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from legato.cli.client import globals_of

STATUS_STYLE = {
    "PENDING": "yellow",
    "RUNNING": "cyan",
    "COMPLETED": "green",
    "FAILED": "red",
    "CANCELLED": "magenta",
    "DEAD_LETTERED": "red",
    "SKIPPED": "dim",
}
PIPE_WIDTH = 200  # not a terminal: wide enough that a table row stays one line for grep


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty():
        width = int(os.environ.get("COLUMNS", "0") or 0) or PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def cell(value: Any) -> str:
    """A value as a table cell: '-' for nothing, compact JSON for structures, times to the second."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
        return text if len(text) <= 80 else text[:77] + "..."
    return str(value)


def when(value: str | None) -> str:
    """An ISO time from the API, shorter: local-free `YYYY-MM-DD HH:MM:SS` (UTC as sent)."""
    if not value:
        return "-"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return at.strftime("%Y-%m-%d %H:%M:%S")


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = console()
        self.err = console(stderr=True)

    def json(self, data: Any) -> None:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        sys.stdout.flush()

    def json_line(self, data: Any) -> None:
        """One compact JSON object per line (streams: `runs events --follow`)."""
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        sys.stdout.flush()

    def status(self, status: str | None) -> str:
        text = escape(status or "-")
        style = STATUS_STYLE.get(status or "")
        return f"[{style}]{text}[/]" if style else text

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        title: str | None = None,
        marked: Sequence[int] = (),
    ) -> None:
        """Rows of already formatted cells; the columns at `marked` hold Rich markup (statuses)."""
        t = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
        for name in columns:
            t.add_column(name, overflow="fold")
        for row in rows:
            t.add_row(*(c if i in marked else escape(c) for i, c in enumerate(row)))
        self.console.print(t)

    def fields(self, pairs: Sequence[tuple[str, str]], marked: Sequence[str] = ()) -> None:
        """`name  value` lines (one record)."""
        width = max((len(k) for k, _ in pairs), default=0)
        for k, v in pairs:
            self.console.print(f"[bold]{k:<{width}}[/]  {v if k in marked else escape(v)}")

    def line(self, text: str = "") -> None:
        """Plain text on stdout (Rich markup allowed)."""
        self.console.print(text)

    def note(self, text: str) -> None:
        """A remark on stderr (never mixed into what a script reads from stdout)."""
        self.err.print(f"[dim]{escape(text)}[/]")

    @contextmanager
    def progress(self, total: int | None, description: str) -> Iterator[Callable[[int], None]]:
        """A progress bar on a terminal (not with --output json); elsewhere the advance does nothing."""
        if self.as_json or not self.err.is_terminal:
            yield lambda _: None
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task, n)


def output(ctx: typer.Context) -> Output:
    return Output(globals_of(ctx).json)
