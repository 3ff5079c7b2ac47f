"""`graph trace --file PATH [--trace-id ID]`: a trace as a tree in the terminal, no collector.

The file holds OTLP/JSON lines (`graph run --otel-file`): each line one export request in the
protobuf JSON mapping. Span lines (`resourceSpans`) are read; metric and log lines are
skipped. Ids may be base64 (the protobuf mapping) or hex (the OTLP/JSON spec, e.g. the
OpenTelemetry Collector's file exporter). Each span shows its duration and key attributes,
its events (gate decisions) in time order among its children, and each trace ends with
totals: duration, tokens (the innermost spans that carry them), tool calls and errors.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from cli.errors import EXIT_OK, CliError
from runtime.settings import Settings

_IDS = {"traceId": 32, "spanId": 16, "parentSpanId": 16}
_SKIPPED = ("resourceMetrics", "resourceLogs")


@dataclass
class Node:
    span: Span
    attrs: dict[str, Any]
    children: list[Node] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", required=True, metavar="PATH", help="OTLP/JSON lines file")
    parser.add_argument("--trace-id", metavar="ID", help="show only this trace (32 hex digits)")


def run(args: argparse.Namespace, _settings: Settings) -> int:
    path = Path(args.file)
    traces = group(read_spans(path))
    if args.trace_id:
        traces = select(traces, args.trace_id, path)
    print("\n\n".join(render(trace_id, spans) for trace_id, spans in traces.items()))
    return EXIT_OK


def read_spans(path: Path) -> list[Span]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from exc
    spans: list[Span] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            spans += parse_line(line, f"{path}:{number}")
    if not spans:
        raise CliError(f"{path}: no spans in the file")
    return spans


def parse_line(line: str, where: str) -> list[Span]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CliError(f"{where}: not JSON: {exc.msg} (column {exc.colno})") from exc
    if isinstance(data, dict) and any(key in data for key in _SKIPPED):
        return []
    if not isinstance(data, dict) or "resourceSpans" not in data:
        raise CliError(f"{where}: not an OTLP/JSON export request (no resourceSpans)")
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(_hex_ids_to_base64(data), request)
    except json_format.ParseError as exc:
        raise CliError(f"{where}: not an OTLP/JSON trace request: {exc}") from exc
    return [span for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


def _hex_ids_to_base64(data: Any) -> Any:
    """OTLP/JSON's hex ids into the protobuf mapping's base64 (base64 ids pass unchanged)."""
    if isinstance(data, list):
        return [_hex_ids_to_base64(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {key: _hex_ids_to_base64(value) for key, value in data.items()}
    for key, size in _IDS.items():
        value = out.get(key)
        if isinstance(value, str) and len(value) == size and re.fullmatch("[0-9a-fA-F]+", value):
            out[key] = base64.b64encode(bytes.fromhex(value)).decode()
    return out


def group(spans: list[Span]) -> dict[str, list[Span]]:
    """Spans by trace id (hex), traces in start order."""
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in sorted(spans, key=lambda s: s.start_time_unix_nano):
        traces[span.trace_id.hex()].append(span)
    return dict(traces)


def select(traces: dict[str, list[Span]], trace_id: str, path: Path) -> dict[str, list[Span]]:
    wanted = trace_id.strip().lower()
    if not re.fullmatch("[0-9a-f]{32}", wanted):
        raise CliError(f"--trace-id must be 32 hex digits, got {trace_id!r}")
    if wanted not in traces:
        raise CliError(f"no trace {wanted} in {path}; its traces: {', '.join(traces)}")
    return {wanted: traces[wanted]}


def tree(spans: list[Span]) -> list[Node]:
    """Roots (spans whose parent is not in the trace) with children in start order."""
    nodes = {s.span_id: Node(s, attributes(s.attributes)) for s in spans}
    roots: list[Node] = []
    for node in sorted(nodes.values(), key=lambda n: n.span.start_time_unix_nano):
        parent = nodes.get(node.span.parent_span_id)
        (parent.children if parent else roots).append(node)
    return roots


def render(trace_id: str, spans: list[Span]) -> str:
    roots = tree(spans)
    lines = [f"trace {trace_id}"]
    for root in roots:
        orphan = "  (parent not in file)" if root.span.parent_span_id else ""
        lines.append(describe(root) + orphan)
        lines += _below(root, "")
    return "\n".join([*lines, footer(spans, roots)])


def _below(node: Node, prefix: str) -> list[str]:
    items: list[tuple[int, Node | Span.Event]] = [(e.time_unix_nano, e) for e in node.span.events]
    items += [(c.span.start_time_unix_nano, c) for c in node.children]
    items.sort(key=lambda item: item[0])
    lines: list[str] = []
    for i, (_, item) in enumerate(items):
        last = i == len(items) - 1
        branch, indent = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if isinstance(item, Node):
            lines.append(prefix + branch + describe(item))
            lines += _below(item, prefix + indent)
        else:
            lines.append(prefix + branch + "• " + _event(item))
    return lines


def describe(node: Node) -> str:
    span, attrs = node.span, node.attrs
    ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
    parts = [span.name, f"{ms:.1f} ms"]
    model, tool = attrs.get("gen_ai.request.model"), attrs.get("gen_ai.tool.name")
    if model is not None and not span.name.endswith(str(model)):
        parts.append(f"model={model}")
    if "gen_ai.usage.input_tokens" in attrs or "gen_ai.usage.output_tokens" in attrs:
        tin, tout = _own_tokens(node)
        parts.append(f"tokens {tin} in / {tout} out")
    if tool is not None and not span.name.endswith(str(tool)):
        parts.append(f"tool={tool}")
    if span.status.code == Status.STATUS_CODE_ERROR:
        parts.append(f"ERROR {span.status.message}".rstrip())
    return "  ".join(parts)


def _event(event: Span.Event) -> str:
    attrs = attributes(event.attributes)
    shown = [f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in attrs.items()]
    return "  ".join([event.name, *shown])


def footer(spans: list[Span], roots: list[Node]) -> str:
    ns = max(s.end_time_unix_nano for s in spans) - min(s.start_time_unix_nano for s in spans)
    tin = sum(tokens(root)[0] for root in roots)
    tout = sum(tokens(root)[1] for root in roots)
    tools = sum("gen_ai.tool.name" in attributes(s.attributes) for s in spans)
    errors = sum(s.status.code == Status.STATUS_CODE_ERROR for s in spans)
    return (
        f"total {ns / 1e6:.1f} ms · {len(spans)} spans · tokens {tin} in / {tout} out · "
        f"{tools} tool calls · {errors} errors"
    )


def tokens(node: Node) -> tuple[int, int]:
    """Tokens of the innermost spans that carry them (a parent's own sum is not counted again)."""
    below = [tokens(child) for child in node.children]
    if any(t != (0, 0) for t in below):
        return sum(t[0] for t in below), sum(t[1] for t in below)
    return _own_tokens(node)


def _own_tokens(node: Node) -> tuple[int, int]:
    tin = node.attrs.get("gen_ai.usage.input_tokens", 0)
    tout = node.attrs.get("gen_ai.usage.output_tokens", 0)
    return int(tin), int(tout)


def attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in pairs}


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(item) for item in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind)
