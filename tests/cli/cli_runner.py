"""Run `legato` in this process (`legato.cli.main`, as other code calls it), capturing its output."""

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def run_cli(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())
