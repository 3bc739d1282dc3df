"""Golden vectors: every schemas/testdata case decodes to its datum and re-encodes byte for byte."""

import json
from pathlib import Path
from typing import Any

import pytest

from legato_worker.protocol import (
    DecodeError,
    decode_job,
    decode_result,
    encode_job,
    encode_result,
    schema_versions,
)

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
CASES = sorted(p for p in (SCHEMAS / "testdata").iterdir() if p.is_dir())
CODECS: dict[str, tuple[Any, Any]] = {
    "Job": (decode_job, encode_job),
    "Result": (decode_result, encode_result),
}

pytestmark = pytest.mark.unit


def test_vectors_exist() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_vector_round_trip(case: Path) -> None:
    spec = json.loads((case / "datum.json").read_text(encoding="utf-8"))
    encoded = (case / "encoded.bin").read_bytes()
    decode, encode = CODECS[spec["schema"].split("/")[1]]

    assert decode(encoded) == spec["datum"]
    assert encode(spec["datum"]) == encoded


def test_fingerprints_match_the_published_list() -> None:
    listed = {}
    for line in (SCHEMAS / "fingerprints.txt").read_text().splitlines():
        if line.strip():
            ref, fp = line.split()
            listed[fp] = ref.split("/")[1]
    assert schema_versions() == listed
    for case in CASES:
        spec = json.loads((case / "datum.json").read_text(encoding="utf-8"))
        header = (case / "encoded.bin").read_bytes()[:10]
        assert header[:2] == b"\xc3\x01"
        assert listed[header[2:].hex()] == spec["schema"].split("/")[1]


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not avro", b"\xc3\x01" + b"\x00" * 8 + b"x", None],
    ids=["empty", "text", "unknown-fingerprint", "tombstone"],
)
def test_garbage_is_a_decode_error(garbage: bytes | None) -> None:
    with pytest.raises(DecodeError):
        decode_job(garbage)


def test_truncated_job_is_a_decode_error() -> None:
    encoded = (SCHEMAS / "testdata" / "job-full" / "encoded.bin").read_bytes()
    with pytest.raises(DecodeError):
        decode_job(encoded[:20])


def test_a_result_is_not_a_job() -> None:
    encoded = (SCHEMAS / "testdata" / "result-completed" / "encoded.bin").read_bytes()
    with pytest.raises(DecodeError, match="expected a Job"):
        decode_job(encoded)
