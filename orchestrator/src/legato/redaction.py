"""Credentials never reach a message: what the CLI prints and what the server logs are redacted.

- the password of any URL: `postgresql://legato:***@db:5432/legato`, `redis://:***@cache:6379/0`;
- any `password=...` or `"password": "..."` (libpq connection strings, configs printed as text);
- the Kafka SASL password (LEGATO_KAFKA_SASL_PASSWORD) wherever it appears, once `install` knows it.

`redact` is applied to the CLI's error lines (`legato: error: ...`, `legato serve`'s one-line
failures); `install` makes every log record of the process redacted as it is made (its message
and its traceback), whichever logger and handler print it.
"""

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from legato_protocol.kafka_security import PASSWORD_VAR

MASK = "***"

# scheme:// (or scheme:/), a user (maybe empty), ':', then the password up to the last '@' of the word
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*:/{1,2}[^\s:@/'\"]*:)[^\s'\"]*(@)")
_PASSWORD_FIELD = re.compile(r"(?i)(password[\"']?\s*[=:]\s*[\"']?)([^\s\"',;}]+)")


class Redactor:
    """Redacts URL passwords, password fields and these exact `secrets`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if secret and secret not in self.secrets:  # the longest first: no part of one left behind
            self.secrets = tuple(sorted((*self.secrets, secret), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        text = _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<2>", text)
        text = _PASSWORD_FIELD.sub(rf"\g<1>{MASK}", text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def record_factory(self, previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
        """A log record factory that makes records with `previous`, then redacts them."""

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            self.redact_record(record)
            return record

        return factory

    def redact_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the handler's to report, as always
            return
        clean = self(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self(record.stack_info)


_lock = threading.Lock()
_process = Redactor()  # what `redact` and this process's log records use
_installed = False


def redact(text: str) -> str:
    """`text` with every credential it holds replaced by ***."""
    return _process(text)


def install(environ: Mapping[str, str] | None = None) -> None:
    """Redact every log record of this process from now on, and the secrets of `environ` (default
    os.environ: LEGATO_KAFKA_SASL_PASSWORD) in everything `redact` sees. Safe to call again."""
    global _installed
    with _lock:
        _process.add((os.environ if environ is None else environ).get(PASSWORD_VAR, ""))
        if not _installed:
            logging.setLogRecordFactory(_process.record_factory(logging.getLogRecordFactory()))
            _installed = True
