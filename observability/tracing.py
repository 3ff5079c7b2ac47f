"""The incident's trace: one `invoke_workflow incident` span per run (exporters come later)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import TracerProvider

_provider = TracerProvider()
_tracer = _provider.get_tracer("incident-graph")


@contextmanager
def workflow_span(incident_id: str) -> Iterator[str]:
    """Open the workflow span; yields its trace id (32 hex digits)."""
    with _tracer.start_as_current_span("invoke_workflow incident") as span:
        span.set_attribute("gen_ai.operation.name", "invoke_workflow")
        span.set_attribute("incident.id", incident_id)
        yield format(span.get_span_context().trace_id, "032x")
