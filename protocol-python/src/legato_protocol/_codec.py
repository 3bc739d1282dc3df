"""Avro single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint, the datum.

Every schema version under schemas/ is loaded, so a message written by any known version decodes
(resolved to the newest version of its record); anything else raises DecodeError.
"""

import io
import json
from importlib import resources
from typing import Any, TypeGuard, cast

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from legato_protocol._messages import Cancel, Job, Progress, Result

MAGIC = b"\xc3\x01"
HEADER_LEN = 10


class DecodeError(ValueError):
    """The bytes are not a Legato message this reader knows."""


class _Registry:
    def __init__(self) -> None:
        self.writers: dict[bytes, tuple[str, Any]] = {}
        self.latest: dict[str, tuple[int, Any, bytes]] = {}
        root = resources.files("legato_protocol") / "schemas"
        for version_dir in sorted(root.iterdir(), key=lambda p: p.name):
            if not (version_dir.name.startswith("v") and version_dir.name[1:].isdigit()):
                continue
            version = int(version_dir.name[1:])
            for file in version_dir.iterdir():
                if not file.name.endswith(".avsc"):
                    continue
                schema = fastavro.parse_schema(json.loads(file.read_text()))
                fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
                name = file.name.removesuffix(".avsc")
                self.writers[fp] = (name, schema)
                if name not in self.latest or self.latest[name][0] < version:
                    self.latest[name] = (version, schema, fp)

    def encode(self, name: str, datum: Any) -> bytes:
        _, schema, fp = self.latest[name]
        buf = io.BytesIO()
        buf.write(MAGIC)
        buf.write(fp)
        fastavro.schemaless_writer(buf, schema, datum)
        return buf.getvalue()

    def writer_of(self, data: bytes | None) -> tuple[str, Any]:
        if data is None or len(data) < HEADER_LEN or data[:2] != MAGIC:
            raise DecodeError("not Avro single-object encoding (missing C3 01 header)")
        writer = self.writers.get(data[2:HEADER_LEN])
        if writer is None:
            raise DecodeError(f"unknown writer schema fingerprint {data[2:HEADER_LEN].hex()}")
        return writer

    def decode(self, names: tuple[str, ...], data: bytes | None) -> tuple[str, Any]:
        name, writer = self.writer_of(data)
        if name not in names:
            raise DecodeError(f"expected a {' or '.join(names)} message, got a {name}")
        assert data is not None
        try:
            return name, fastavro.schemaless_reader(
                io.BytesIO(data[HEADER_LEN:]), writer, self.latest[name][1]
            )
        except Exception as exc:  # fastavro raises several types for corrupt input
            raise DecodeError(f"corrupt {name} body: {exc}") from exc


_registry = _Registry()


def encode_job(job: Job) -> bytes:
    return _registry.encode("Job", job)


def decode_job(data: bytes | None) -> Job:
    return cast(Job, _registry.decode(("Job",), data)[1])


def encode_result(result: Result) -> bytes:
    return _registry.encode("Result", result)


def decode_result(data: bytes | None) -> Result:
    return cast(Result, _registry.decode(("Result",), data)[1])


def encode_progress(progress: Progress) -> bytes:
    return _registry.encode("Progress", progress)


def decode_progress(data: bytes | None) -> Progress:
    return cast(Progress, _registry.decode(("Progress",), data)[1])


def encode_cancel(cancel: Cancel) -> bytes:
    return _registry.encode("Cancel", cancel)


def decode_cancel(data: bytes | None) -> Cancel:
    return cast(Cancel, _registry.decode(("Cancel",), data)[1])


def decode_results_record(data: bytes | None) -> Result | Progress:
    """A record of the results topic: a Result or (v2) a Progress, told apart by its fingerprint.
    Tell them apart with is_progress()."""
    return cast(Result | Progress, _registry.decode(("Result", "Progress"), data)[1])


def is_progress(record: Result | Progress) -> TypeGuard[Progress]:
    return "kind" in record


def schema_versions() -> dict[str, str]:
    """Fingerprint (hex) to schema name, for diagnostics."""
    return {fp.hex(): name for fp, (name, _) in _registry.writers.items()}
