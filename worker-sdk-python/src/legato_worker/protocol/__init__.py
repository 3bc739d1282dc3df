"""The Legato wire protocol: message types, the Avro codec, topic names and DLT headers."""

from legato_worker.protocol import headers, topics
from legato_worker.protocol._codec import (
    DecodeError,
    decode_job,
    decode_result,
    encode_job,
    encode_result,
    schema_versions,
)
from legato_worker.protocol._messages import Failure, Job, Result

__all__ = [
    "DecodeError",
    "Failure",
    "Job",
    "Result",
    "decode_job",
    "decode_result",
    "encode_job",
    "encode_result",
    "headers",
    "schema_versions",
    "topics",
]
