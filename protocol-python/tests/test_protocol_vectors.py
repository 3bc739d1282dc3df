"""Golden vectors: every schemas/testdata case decodes to its datum and re-encodes byte for byte."""

import json
from pathlib import Path
from typing import Any

import pytest

from legato_protocol import (
    DecodeError,
    decode_cancel,
    decode_job,
    decode_progress,
    decode_result,
    decode_results_record,
    encode_cancel,
    encode_job,
    encode_progress,
    encode_result,
    is_progress,
    schema_versions,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
CASES = sorted(p for p in (SCHEMAS / "testdata").iterdir() if p.is_dir())
CODECS: dict[str, tuple[Any, Any]] = {
    "Job": (decode_job, encode_job),
    "Result": (decode_result, encode_result),
    "Progress": (decode_progress, encode_progress),
    "Cancel": (decode_cancel, encode_cancel),
}

pytestmark = pytest.mark.unit


def test_vectors_exist() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_vector_round_trip(case: Path) -> None:
    spec = json.loads((case / "datum.json").read_text(encoding="utf-8"))
    encoded = (case / "encoded.bin").read_bytes()
    decode, encode = CODECS[spec["schema"].split("/")[1]]
    resolved_file = case / "resolved.json"
    if resolved_file.exists():  # written by an older schema: read as the newest version sees it
        resolved = json.loads(resolved_file.read_text(encoding="utf-8"))
        assert decode(encoded) == resolved["datum"]
        return
    assert decode(encoded) == spec["datum"]
    assert encode(spec["datum"]) == encoded


def test_v1_jobs_resolve_to_v2() -> None:
    resolved = [c for c in CASES if (c / "resolved.json").exists()]
    assert {c.name for c in resolved} >= {"job-full", "job-minimal"}
    for case in resolved:
        datum = json.loads((case / "datum.json").read_text(encoding="utf-8"))["datum"]
        as_v2 = json.loads((case / "resolved.json").read_text(encoding="utf-8"))
        assert as_v2["schema"] == "v2/Job"
        assert as_v2["datum"] == {
            **datum,
            "startToCloseMs": None,
            "heartbeatTimeoutMs": None,
            "lastHeartbeatDetails": None,
        }


def test_the_results_topic_carries_results_and_progress() -> None:
    for name, progress in (("result-completed", False), ("progress-heartbeat", True)):
        record = decode_results_record((SCHEMAS / "testdata" / name / "encoded.bin").read_bytes())
        assert is_progress(record) is progress
    with pytest.raises(DecodeError, match="expected a Result or Progress"):
        decode_results_record((SCHEMAS / "testdata" / "cancel-run-cancelled" / "encoded.bin").read_bytes())


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
