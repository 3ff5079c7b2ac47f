"""A file of OTLP JSON lines: each line is one export request, spans or metrics.

A line is an `ExportTraceServiceRequest` or `ExportMetricsServiceRequest` in the protobuf JSON
mapping (camelCase names, enums as integers, ids as base64 bytes), encoded by OpenTelemetry's
own OTLP encoders; `read_requests` parses a file back into those messages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class OtlpJsonFile:
    """One file shared by a span exporter and a metric exporter; appends are whole lines."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def append(self, request: Message) -> None:
        line = json_format.MessageToJson(request, indent=None, use_integers_for_enums=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def span_exporter(self) -> SpanExporter:
        return _SpanFileExporter(self)

    def metric_exporter(self) -> MetricExporter:
        return _MetricFileExporter(self)


class _SpanFileExporter(SpanExporter):
    def __init__(self, sink: OtlpJsonFile) -> None:
        self._sink = sink

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if spans:
            self._sink.append(encode_spans(spans))
        return SpanExportResult.SUCCESS


class _MetricFileExporter(MetricExporter):
    def __init__(self, sink: OtlpJsonFile) -> None:
        super().__init__()
        self._sink = sink

    def export(
        self,
        metrics_data: MetricsData,
        timeout_millis: float = 10_000,  # noqa: ARG002 (the SDK's signature)
        **kwargs: Any,  # noqa: ARG002
    ) -> MetricExportResult:
        if metrics_data.resource_metrics:
            self._sink.append(encode_metrics(metrics_data))
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:  # noqa: ARG002
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:  # noqa: ARG002
        return None


def read_requests(path: Path) -> Iterator[ExportTraceServiceRequest | ExportMetricsServiceRequest]:
    """Each line of an OTLP JSON-lines file as its export request message."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            body = json.loads(line)
            try:
                if "resourceSpans" in body:
                    yield json_format.ParseDict(body, ExportTraceServiceRequest())
                elif "resourceMetrics" in body:
                    yield json_format.ParseDict(body, ExportMetricsServiceRequest())
                else:
                    raise ValueError("neither resourceSpans nor resourceMetrics")
            except (json_format.ParseError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not an OTLP export request: {exc}") from exc
