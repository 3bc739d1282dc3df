"""Undecodable bytes go to <jobs prefix>.DLT, headers saying where and why; the next Job runs."""

from conformance_harness import Wire, WorkerProcess, headers_of

from legato_protocol import headers

GARBAGE = b"\x00this is not avro\xff\xfe"


def test_poison_pill_is_dead_lettered_and_the_next_job_runs(
    wire: Wire, worker: WorkerProcess, language: str
) -> None:
    wire.raw("echo", GARBAGE, b"poison-key")
    good = wire.job("echo", "after the pill")

    assert wire.result(good)["status"] == "COMPLETED"
    [dead] = wire.dead_letters(1)
    assert dead.value() == GARBAGE
    assert dead.key() == b"poison-key"
    found = headers_of(dead)
    assert found.get(headers.DLT_REASON) == headers.REASON_UNDECODABLE, found
    assert found.get(headers.ERROR_TYPE) == "DecodeError", found
    assert found.get(headers.ERROR_MESSAGE), found
    assert found.get(headers.SOURCE_TOPIC) == f"{wire.jobs_topic}.echo", found
    assert found.get(headers.SOURCE_PARTITION) == "0", found
    assert found.get(headers.SOURCE_OFFSET) == "0", found
    assert found.get(headers.WORKER_ID) == f"conformance-{language}-0", found
    assert int(found.get(headers.FAILED_AT, "0")) > 0, found
