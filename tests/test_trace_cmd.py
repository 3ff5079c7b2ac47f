"""`graph trace`: OTLP/JSON lines written from real SDK spans, printed as a tree."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Status, StatusCode

from cli.errors import CliError
from cli.main import build_parser
from runtime.settings import Settings

MS = 1_000_000  # nanoseconds
T0 = 1_767_225_600 * 10**9
FIRST, SECOND = f"{1:032x}", f"{2:032x}"


class CountingIds(IdGenerator):
    """Trace ids 1, 2, ... and span ids 1, 2, ...: the output is the same on every run."""

    def __init__(self) -> None:
        self.traces: Iterator[int] = iter(range(1, 100))
        self.spans: Iterator[int] = iter(range(1, 1000))

    def generate_trace_id(self) -> int:
        return next(self.traces)

    def generate_span_id(self) -> int:
        return next(self.spans)


@pytest.fixture
def sdk() -> Iterator[tuple[trace.Tracer, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=CountingIds())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("incident-graph"), exporter
    provider.shutdown()


def span(tracer: trace.Tracer, name: str, start: int, end: int, parent: Any = None,
         error: str = "", **attrs: Any) -> trace.Span:  # fmt: skip
    context = trace.set_span_in_context(parent) if parent is not None else None
    s = tracer.start_span(name, context=context, start_time=T0 + start * MS, attributes=attrs)
    if error:
        s.set_status(Status(StatusCode.ERROR, error))
    s.end(end_time=T0 + end * MS)
    return s


def incident(tracer: trace.Tracer, offset: int = 0) -> None:
    """One incident's trace as the instrumentation writes it (times in ms from `offset`)."""
    t = offset
    root = tracer.start_span("invoke_workflow incident", start_time=T0 + t * MS)
    with trace.use_span(root, end_on_exit=False):
        triage = tracer.start_span("invoke_agent triage", start_time=T0 + (t + 5) * MS)
        span(tracer, "chat qwen2.5-coder-0.5b", t + 10, t + 1410, triage,
             **{"gen_ai.request.model": "qwen2.5-coder-0.5b",
                "gen_ai.usage.input_tokens": 412, "gen_ai.usage.output_tokens": 38})  # fmt: skip
        triage.set_attributes({"gen_ai.usage.input_tokens": 412, "gen_ai.usage.output_tokens": 38})
        triage.end(end_time=T0 + (t + 1500) * MS)
        cause = tracer.start_span("invoke_agent root_cause", start_time=T0 + (t + 1510) * MS)
        # started later, ended earlier: the tree still orders children by start time
        span(tracer, "chat qwen2.5-coder-1.5b", t + 1700, t + 5700, cause,
             **{"gen_ai.request.model": "qwen2.5-coder-1.5b",
                "gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 120})  # fmt: skip
        span(tracer, "execute_tool github.get_pull_request", t + 1520, t + 1600, cause,
             **{"gen_ai.tool.name": "github.get_pull_request"})  # fmt: skip
        span(tracer, "execute_tool dashboards.snapshot", t + 1600, t + 1650, cause,
             error="timeout after 5s", **{"gen_ai.tool.name": "dashboards.snapshot"})  # fmt: skip
        cause.end(end_time=T0 + (t + 5800) * MS)
        guardian = tracer.start_span("invoke_agent guardian", start_time=T0 + (t + 5810) * MS)
        gate = {"verdict": "needs_approval", "rules": ["revert-needs-approval", "prod-write"],
                "tool": "github.revert_pull_request"}  # fmt: skip
        guardian.add_event("gate.decision", gate, timestamp=T0 + (t + 5811) * MS)
        guardian.end(end_time=T0 + (t + 5812) * MS)
    root.end(end_time=T0 + (t + 6000) * MS)


def otlp_line(exporter: InMemorySpanExporter) -> str:
    line = json_format.MessageToJson(encode_spans(exporter.get_finished_spans()), indent=None)
    exporter.clear()
    return str(line)


METRICS = json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "x"}]}]}]})


@pytest.fixture
def two_traces(tmp_path: Path, sdk: tuple[trace.Tracer, InMemorySpanExporter]) -> Path:
    tracer, exporter = sdk
    incident(tracer)
    first = otlp_line(exporter)
    incident(tracer, offset=60_000)
    path = tmp_path / "run.otlp.jsonl"
    path.write_text("\n".join([first, METRICS, otlp_line(exporter), ""]))
    return path


def graph_trace(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`graph trace ARGS`: exit code, stdout, and the error line `graph.cli.main` prints.

    In process, without `main`: its logging set-up would keep capsys's stream past the test."""
    parsed = build_parser().parse_args(["trace", *args])
    try:
        code, err = parsed.handler(parsed, Settings()), ""
    except CliError as exc:
        code, err = exc.code, f"graph trace: {exc}"
    return code, capsys.readouterr().out, err


EXPECTED = f"""\
trace {FIRST}
invoke_workflow incident  6000.0 ms
├─ invoke_agent triage  1495.0 ms  tokens 412 in / 38 out
│  └─ chat qwen2.5-coder-0.5b  1400.0 ms  tokens 412 in / 38 out
├─ invoke_agent root_cause  4290.0 ms
│  ├─ execute_tool github.get_pull_request  80.0 ms
│  ├─ execute_tool dashboards.snapshot  50.0 ms  ERROR timeout after 5s
│  └─ chat qwen2.5-coder-1.5b  4000.0 ms  tokens 900 in / 120 out
└─ invoke_agent guardian  2.0 ms
   └─ • gate.decision  verdict=needs_approval  rules=revert-needs-approval,prod-write  \
tool=github.revert_pull_request
total 6000.0 ms · 8 spans · tokens 1312 in / 158 out · 2 tool calls · 1 errors"""


def test_a_trace_prints_as_a_tree_with_events_and_totals(
    two_traces: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = graph_trace(capsys, "--file", str(two_traces), "--trace-id", FIRST)
    assert code == 0
    assert out.rstrip("\n") == EXPECTED


def test_every_trace_in_the_file_is_printed_in_start_order(
    two_traces: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = graph_trace(capsys, "--file", str(two_traces))
    assert code == 0
    assert out.index(f"trace {FIRST}") < out.index(f"trace {SECOND}")
    assert out.count("invoke_workflow incident") == 2 and out.count("total 6000.0 ms") == 2


def test_trace_id_picks_one_trace(two_traces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = graph_trace(capsys, "--file", str(two_traces), "--trace-id", SECOND.upper())
    assert code == 0
    assert f"trace {SECOND}" in out and f"trace {FIRST}" not in out


def test_absent_trace_id_lists_the_files_traces(
    two_traces: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = graph_trace(capsys, "--file", str(two_traces), "--trace-id", "f" * 32)
    assert (code, out) == (2, "")
    assert f"no trace {'f' * 32} in {two_traces}; its traces: {FIRST}, {SECOND}" in err


def test_malformed_trace_id_is_refused(
    two_traces: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = graph_trace(capsys, "--file", str(two_traces), "--trace-id", "abc")
    assert code == 2 and "--trace-id must be 32 hex digits, got 'abc'" in err


def test_hex_ids_as_the_collectors_file_exporter_writes_them(
    two_traces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hexed = tmp_path / "collector.jsonl"
    hexed.write_text(_to_hex(two_traces.read_text()))
    assert '"traceId": "' + FIRST in hexed.read_text().replace('":"', '": "')
    code, out, _ = graph_trace(capsys, "--file", str(hexed), "--trace-id", FIRST)
    assert code == 0 and out.rstrip("\n") == EXPECTED


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("{not json", ":2: not JSON: Expecting property name enclosed in double quotes"),
        ('{"resourceLogz": []}', ":2: not an OTLP/JSON export request (no resourceSpans)"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}',
         ":2: not an OTLP/JSON trace request: Failed to parse resourceSpans field"),
    ],
)  # fmt: skip
def test_bad_line_names_the_file_and_line(
    tmp_path: Path, line: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(METRICS + "\n" + line + "\n")
    code, out, err = graph_trace(capsys, "--file", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"graph trace: {path}{said}")
    assert "Traceback" not in err and ("soon" in err or "trace request" not in said)


def test_missing_file_and_file_without_spans_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = graph_trace(capsys, "--file", str(tmp_path / "absent.jsonl"))
    assert code == 2 and f"{tmp_path / 'absent.jsonl'}: cannot read" in err
    only_metrics = tmp_path / "metrics.jsonl"
    only_metrics.write_text(METRICS + "\n")
    code, _, err = graph_trace(capsys, "--file", str(only_metrics))
    assert code == 2 and f"{only_metrics}: no spans in the file" in err


def _to_hex(text: str) -> str:
    def convert(data: Any) -> Any:
        if isinstance(data, list):
            return [convert(item) for item in data]
        if not isinstance(data, dict):
            return data
        return {k: base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId")
                else convert(v) for k, v in data.items()}  # fmt: skip

    return "\n".join(json.dumps(convert(json.loads(line))) for line in text.splitlines())
