"""A local OTLP/HTTP trace receiver: what the processes under test export, kept for assertions.

`OtlpReceiver` listens on 127.0.0.1 (a free port) for `POST /v1/traces`, in protobuf
(`application/x-protobuf`) or JSON (`application/json`), and flattens every span it gets into a
`Span` with its service name. Point a process at it with `receiver.env(service_name)`.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

KINDS = {
    SpanProto.SPAN_KIND_INTERNAL: "INTERNAL",
    SpanProto.SPAN_KIND_SERVER: "SERVER",
    SpanProto.SPAN_KIND_CLIENT: "CLIENT",
    SpanProto.SPAN_KIND_PRODUCER: "PRODUCER",
    SpanProto.SPAN_KIND_CONSUMER: "CONSUMER",
}
STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


@dataclass(frozen=True)
class Link:
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    trace_id: str  # 32 lowercase hex digits
    span_id: str  # 16 lowercase hex digits
    parent_id: str  # "" for a root span
    attributes: dict[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    status: str = "UNSET"  # UNSET, OK, ERROR
    start_ns: int = 0
    end_ns: int = 0


def _value(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, which)


def spans_of(request: ExportTraceServiceRequest) -> list[Span]:
    out: list[Span] = []
    for rs in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
        service = str(resource.get("service.name", ""))
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(
                    Span(
                        service=service,
                        name=s.name,
                        kind=KINDS.get(s.kind, str(s.kind)),
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        attributes={kv.key: _value(kv.value) for kv in s.attributes},
                        links=tuple(Link(x.trace_id.hex(), x.span_id.hex()) for x in s.links),
                        status=STATUS.get(s.status.code, str(s.status.code)),
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                    )
                )
    return out


def _hex_ids(node: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping wants base64 bytes."""
    if isinstance(node, list):
        return [_hex_ids(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
            out[k] = base64.b64encode(bytes.fromhex(v)).decode() if v else ""
        else:
            out[k] = _hex_ids(v)
    return out


def parse(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    if content_type.split(";")[0].strip().lower() == "application/json":
        json_format.ParseDict(_hex_ids(json.loads(body)), request, ignore_unknown_fields=True)
    else:
        request.ParseFromString(body)
    return request


class OtlpReceiver:
    """`with OtlpReceiver() as receiver:` ... `receiver.spans()`; `receiver.wait_for(check)`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._spans: list[Span] = []
        self.requests = 0
        self.errors: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self._body()
                if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                    body = gzip.decompress(body)
                content_type = self.headers.get("Content-Type") or "application/x-protobuf"
                if self.path.rstrip("/") != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                try:
                    spans = spans_of(parse(body, content_type))
                except Exception as exc:  # a bad export is an error the test reports
                    receiver._failed(f"{content_type}: {exc!r}")
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver._add(spans)
                is_json = content_type.startswith("application/json")
                answer = b"{}" if is_json else ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if is_json else "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _body(self) -> bytes:
                """The request's body: by Content-Length, or chunk by chunk (Node's exporter
                streams its requests with Transfer-Encoding: chunked)."""
                if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
                    return self.rfile.read(int(self.headers.get("Content-Length") or 0))
                chunks = []
                while size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk
                while self.rfile.readline().strip():  # trailers, up to the empty line
                    pass
                return b"".join(chunks)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-receiver", daemon=True)

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def env(self, service_name: str | None = None) -> dict[str, str]:
        """The OTEL_* settings that send a process's spans here, quickly (100 ms batches)."""
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_TRACES_SAMPLER": "parentbased_always_on",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        }
        if service_name is not None:
            env["OTEL_SERVICE_NAME"] = service_name
        return env

    def _add(self, spans: list[Span]) -> None:
        with self._lock:
            self._spans += spans
            self.requests += 1
            self._lock.notify_all()

    def _failed(self, error: str) -> None:
        with self._lock:
            self.errors.append(error)
            self._lock.notify_all()

    def spans(self, trace_id: str | None = None) -> list[Span]:
        with self._lock:
            return [s for s in self._spans if trace_id is None or s.trace_id == trace_id]

    def wait_for(self, check: Callable[[list[Span]], bool], timeout: float, what: str) -> list[Span]:
        """Wait (on a condition, woken by each export) until `check(all spans)` holds."""
        with self._lock:
            if not self._lock.wait_for(lambda: check(list(self._spans)), timeout):
                names = sorted({(s.service, s.kind, s.name) for s in self._spans})
                raise AssertionError(
                    f"{what}: not seen within {timeout:.0f} s; {len(self._spans)} spans from "
                    f"{self.requests} exports: {names}; errors: {self.errors[:3]}"
                )
            return list(self._spans)
