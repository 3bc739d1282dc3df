"""Run `legato` in this process (`legato.cli.main`, as other code calls it), capturing its output."""

import contextlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import orjson

from legato.cli import main


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return orjson.loads(self.stdout)


Cli = Callable[..., Result]


def run_cli(*args: str, stdin: bytes = b"") -> Result:
    """`legato ARGS...` with `stdin` as its standard input (what `-f -` and `@-` read)."""
    out, err = io.StringIO(), io.StringIO()
    feed = io.StringIO(stdin.decode())
    # the tester's terminal size must not reach the CLI (see harness.cli.user_env)
    with (
        mock.patch.dict(os.environ),
        mock.patch("sys.stdin", feed),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())
