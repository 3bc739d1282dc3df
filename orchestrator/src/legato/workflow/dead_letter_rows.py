"""The `dead_letters` rows of a batch: one per dead job, written with its workflow-jobs.DLT record.

workflow.dead_letters calls `dead_letter_rows` inside the transaction that dead-letters the jobs
and runs `store.dlt_sql.INSERT_DEAD_LETTERS` with the result (one set-based statement per batch).
Each row keeps its record's value until Kafka has acknowledged it (the dead-letter outbox).
"""

from collections.abc import Sequence
from typing import Any

import orjson

from legato.kafka.confirmed import Record
from legato.payloads import clean_text
from legato.workflow.model import DeadLetter

MAX_ERROR_MESSAGE = 4096
# The header of a DLT record whose job payload was too large to keep (Kafka refused the job itself).
PAYLOAD_OMITTED = "legato-payload-omitted"


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def record_headers(record: Record) -> dict[str, str]:
    """The record's legato-* headers as the strings a consumer of the topic reads."""
    return {name: _text(value) for name, value in record.headers if name.startswith("legato-")}


def dead_letter_rows(dead: Sequence[DeadLetter], records: Sequence[Record]) -> tuple[list[Any], ...]:
    """Column arrays for INSERT_DEAD_LETTERS (after its grace); `records[i]` is the DLT record of
    `dead[i]`."""
    if len(dead) != len(records):
        raise ValueError(f"{len(dead)} dead letters but {len(records)} DLT records")
    cols: tuple[list[Any], ...] = tuple([] for _ in range(15))
    for dl, record in zip(dead, records, strict=True):
        c = dl.claimed
        hdrs = record_headers(record)
        # Kafka refused the job itself: the row keeps no payload either (replay needs --payload).
        payload = None if hdrs.get(PAYLOAD_OMITTED) == "true" else c.payload
        values = (
            c.job_id,
            c.run_id,
            c.step_id,
            c.item_index,
            c.workflow_id,
            c.version,
            c.action,
            c.attempt,
            dl.reason,
            dl.error_type,
            clean_text(dl.error_message, MAX_ERROR_MESSAGE),
            payload,
            orjson.dumps(hdrs).decode(),
            c.correlation_id,
            record.value,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    return cols
