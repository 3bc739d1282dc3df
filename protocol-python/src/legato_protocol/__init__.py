"""The Legato wire protocol for Python: message types and the Avro codec (here), topic names
(`topics`), dead-letter headers (`headers`), the Kafka security settings (`kafka_security`) and the
`LEGATO_*` reading rules (`env`). The orchestrator and the Python worker SDK both depend on it."""

from legato_protocol import headers, topics
from legato_protocol._codec import (
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
from legato_protocol._messages import Cancel, Failure, Job, Progress, ProgressKind, Result

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
