"""The process's OpenTelemetry providers: a tracer and the GenAI and incident instruments.

`setup_telemetry(settings)` builds them from the exporter settings; the CLI installs the result
with `installed(...)` for a run. Until something is installed, `telemetry()` returns a
disabled instance (samples nothing, exports nothing), so library use and tests stay cheap while
spans still carry valid trace ids. Tests build `Telemetry.in_memory(exporter, reader)`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON
from opentelemetry.trace import Tracer

from observability.pricing import load_pricing

if TYPE_CHECKING:
    from runtime.settings import Settings

SCOPE = "incident-graph"
HTTP_ENDPOINT = "http://127.0.0.1:4318"
GRPC_ENDPOINT = "http://127.0.0.1:4317"
# the GenAI conventions' advised bucket boundaries
TOKEN_BUCKETS = [4.0**i for i in range(14)]
DURATION_BUCKETS = [0.01 * 2**i for i in range(14)]


class Pricer(Protocol):
    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float: ...


@dataclass(frozen=True)
class Instruments:
    token_usage: Histogram
    operation_duration: Histogram
    node_tokens: Counter
    node_cost: Counter
    incidents: Counter
    gate_verdicts: Counter

    @classmethod
    def create(cls, meter: Meter) -> Instruments:
        return cls(
            token_usage=meter.create_histogram(
                "gen_ai.client.token.usage", unit="{token}",
                description="tokens per LLM call, by gen_ai.token.type",
                explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
            ),
            operation_duration=meter.create_histogram(
                "gen_ai.client.operation.duration", unit="s",
                description="LLM call duration",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            ),
            node_tokens=meter.create_counter(
                "incident.node.tokens", unit="{token}", description="tokens by node, model, type"
            ),
            node_cost=meter.create_counter(
                "incident.node.cost", unit="USD", description="LLM cost by node and model"
            ),
            incidents=meter.create_counter(
                "incident.count", unit="{incident}", description="incidents by severity"
            ),
            gate_verdicts=meter.create_counter(
                "incident.gate.verdicts", unit="{decision}", description="gate verdicts by action"
            ),
        )  # fmt: skip


class Telemetry:
    """A tracer provider and a meter provider, with the instruments the graph records into."""

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        pricing: Pricer | None = None,
        enabled: bool = True,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.tracer: Tracer = tracer_provider.get_tracer(SCOPE)
        self.instruments = Instruments.create(meter_provider.get_meter(SCOPE))
        self.pricing = pricing
        self.enabled = enabled

    @classmethod
    def in_memory(
        cls, span_exporter: SpanExporter, metric_reader: MetricReader, pricing: Pricer | None = None
    ) -> Telemetry:
        """Spans exported as they end (SimpleSpanProcessor), metrics read on demand: for tests."""
        return cls(
            _tracer_provider(SimpleSpanProcessor(span_exporter)),
            MeterProvider(metric_readers=[metric_reader], resource=_resource()),
            pricing=pricing,
        )

    @classmethod
    def disabled(cls) -> Telemetry:
        return cls(_tracer_provider(None), MeterProvider(metric_readers=[]), enabled=False)

    def force_flush(self) -> None:
        self.tracer_provider.force_flush()
        self.meter_provider.force_flush()

    def shutdown(self) -> None:
        """Flush and stop every exporter (the metric readers export their last collection)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def setup_telemetry(settings: Settings) -> Telemetry:
    """The providers for `settings.otel_exporter`; "none" gives a disabled instance."""
    if settings.otel_exporter == "none":
        return Telemetry.disabled()
    spans, metrics = _exporters(settings)
    return Telemetry(
        _tracer_provider(BatchSpanProcessor(spans)),
        MeterProvider(
            metric_readers=[PeriodicExportingMetricReader(metrics)], resource=_resource()
        ),
        pricing=load_pricing(settings.pricing_file),
    )


def _exporters(settings: Settings) -> tuple[SpanExporter, MetricExporter]:
    kind, endpoint = settings.otel_exporter, settings.otel_endpoint
    if kind == "console":
        return ConsoleSpanExporter(out=sys.stderr), ConsoleMetricExporter(out=sys.stderr)
    if kind == "file":
        from observability.otlp_file import OtlpJsonFile

        if settings.otel_file is None:
            raise ValueError("otel_exporter 'file' needs otel_file (INCIDENT_GRAPH_OTEL_FILE)")
        sink = OtlpJsonFile(settings.otel_file)
        return sink.span_exporter(), sink.metric_exporter()
    if kind == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = (endpoint or HTTP_ENDPOINT).rstrip("/")
        return (
            OTLPSpanExporter(endpoint=f"{base}/v1/traces"),
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
        )
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
        OTLPMetricExporter as GrpcMetricExporter,
    )
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        OTLPSpanExporter as GrpcSpanExporter,
    )

    target = endpoint or GRPC_ENDPOINT
    insecure = not target.startswith("https://")  # plain host:port means a loopback collector
    return (
        GrpcSpanExporter(endpoint=target, insecure=insecure),
        GrpcMetricExporter(endpoint=target, insecure=insecure),
    )


def _tracer_provider(processor: SpanProcessor | None) -> TracerProvider:
    provider = TracerProvider(sampler=ALWAYS_ON if processor else ALWAYS_OFF, resource=_resource())
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def _resource() -> Resource:
    return Resource.create({"service.name": SCOPE})


_current: Telemetry | None = None
_lock = threading.Lock()


def telemetry() -> Telemetry:
    """The installed telemetry, or a disabled one (built once) when nothing is installed."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = Telemetry.disabled()
    return _current


def install(value: Telemetry | None) -> None:
    """Make `value` the process's telemetry (None: back to disabled)."""
    global _current
    with _lock:
        _current = value


@contextmanager
def installed(value: Telemetry) -> Iterator[Telemetry]:
    """`value` as the process's telemetry for a block; flushed and shut down after it."""
    install(value)
    try:
        yield value
    finally:
        install(None)
        value.shutdown()
