"""The Legato wire protocol: message types, the Avro codec, topic names and DLT headers."""

from legato_worker.protocol import headers, topics
from legato_worker.protocol._codec import (
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
from legato_worker.protocol._messages import Cancel, Failure, Job, Progress, ProgressKind, Result

__all__ = [
    "Cancel",
    "DecodeError",
    "Failure",
    "Job",
    "Progress",
    "ProgressKind",
    "Result",
    "decode_cancel",
    "decode_job",
    "decode_progress",
    "decode_result",
    "decode_results_record",
    "encode_cancel",
    "encode_job",
    "encode_progress",
    "encode_result",
    "headers",
    "is_progress",
    "schema_versions",
    "topics",
]
