"""What the CLI prints: JSON (the API's, indented; nothing else on stdout) or Rich tables and lines,
coloured only on a terminal (Rich decides; NO_COLOR is honoured), and progress bars on a terminal.

When stdout is not a terminal, nothing is wrapped or shortened, whatever COLUMNS says: a table is
one line per row, its columns aligned with spaces and every value whole (as `gh` and `kubectl`
print), so `| grep RUN_ID` and `awk` see full ids.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

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
SHORT_JSON = 80  # on a terminal, a structure in a cell is cut to this many characters
# Characters that end a line for grep or str.splitlines, and tabs: escaped inside a piped cell.
_LINE_BREAKS = {c: repr(chr(c))[1:-1] for c in (*range(0x09, 0x0E), *range(0x1C, 0x1F), 0x85, 0x2028, 0x2029)}


def console(stderr: bool = False) -> Console:
    """Rich on `stream`; not on a terminal, it never wraps a line (COLUMNS does not apply)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, emoji=False, soft_wrap=not stream.isatty())


def piped() -> bool:
    """stdout is not a terminal: a script reads it."""
    return not sys.stdout.isatty()


def cell(value: Any) -> str:
    """A value as a table cell: '-' for nothing, compact JSON for structures (cut on a terminal),
    times to the second."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
        short = len(text) <= SHORT_JSON or piped()
        return text if short else text[: SHORT_JSON - 3] + "..."
    return str(value)


def one_line(text: str) -> str:
    """`text` with its line breaks and tabs written as escapes (`\\n`): one row stays one line."""
    return text.translate(_LINE_BREAKS)


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned lines of plain text, never wrapped or cut: the header, then one line per row."""
    lines = [list(columns), *([one_line(c) for c in row] for row in rows)]
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(columns))]
    return [
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


def when(value: str | None) -> str:
    """An ISO time from the API; on a terminal shorter: `YYYY-MM-DD HH:MM:SS` (UTC as sent). Piped,
    the API's text itself: exact, and one word for awk."""
    if not value:
        return "-"
    if piped():
        return value
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
        if not self.console.file.isatty():
            plain = [[Text.from_markup(c).plain if i in marked else c for i, c in enumerate(r)] for r in rows]
            lines = ([title] if title else []) + plain_table(columns, plain)
            self.console.file.write("".join(line + "\n" for line in lines))
            self.console.file.flush()
            return
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
            if not self.console.file.isatty():
                v = one_line(Text.from_markup(v).plain if k in marked else v)
                self.console.file.write(f"{k:<{width}}  {v}".rstrip() + "\n")
                continue
            self.console.print(f"[bold]{k:<{width}}[/]  {v if k in marked else escape(v)}")
        self.console.file.flush()

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
