"""OTLP export to a real trace server on loopback: Arize Phoenix (`phoenix serve`).

Phoenix runs from its own virtualenv (`.venv-phoenix`, made by `make receiver`): it pulls in
~850 MB and a newer `mcp` than the product's, so it stays out of `.venv`. The product reaches it
the way a user's collector would, `INCIDENT_GRAPH_OTEL_EXPORTER` / `INCIDENT_GRAPH_OTEL_ENDPOINT`
(OTLP over HTTP and gRPC), on a scenario replay with scripted models; the spans are read back
through Phoenix's REST API.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from observability.telemetry import installed, setup_telemetry
from replay.run import Replay, RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from tests.test_graph_replay import scripted
from world.loader import load

pytestmark = pytest.mark.integration

PHOENIX = ROOT / ".venv-phoenix" / "bin" / "phoenix"
START_TIMEOUT_S = 120.0
Span = dict[str, Any]


@dataclass(frozen=True)
class Receiver:
    http: str  # OTLP/HTTP at {http}/v1/traces, REST at {http}/v1/projects/…
    grpc: str  # OTLP/gRPC
    log: Path

    def spans(
        self, trace_id: str, at_least: int, timeout_s: float = 30.0, with_root: bool = False
    ) -> list[Span]:
        """The trace's spans in the default project; Phoenix stores them asynchronously (and
        the root, which ends last, may come in a later batch than its children)."""
        deadline = time.monotonic() + timeout_s
        found: list[Span] = []
        while time.monotonic() < deadline:
            got = httpx.get(f"{self.http}/v1/projects/default/spans", params={"limit": 1000})
            got.raise_for_status()
            found = [s for s in got.json()["data"] if s["context"]["trace_id"] == trace_id]
            rooted = not with_root or any(s["parent_id"] is None for s in found)
            if len(found) >= at_least and rooted:
                return found
            time.sleep(0.5)
        return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def phoenix_binary() -> Path | None:
    if PHOENIX.exists():
        return PHOENIX
    found = shutil.which("phoenix")
    return Path(found) if found else None


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    binary = phoenix_binary()
    if binary is None:
        pytest.skip("no OTLP receiver: arize-phoenix is not installed (run `make receiver`)")
    work = tmp_path_factory.mktemp("phoenix")
    http, grpc = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(http),
        "PHOENIX_GRPC_PORT": str(grpc),
        "PHOENIX_WORKING_DIR": str(work),
    }
    log = work / "phoenix.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(binary), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=work
        )
    receiver = Receiver(f"http://127.0.0.1:{http}", f"http://127.0.0.1:{grpc}", log)
    try:
        wait_healthy(proc, receiver)
        yield receiver
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(proc: subprocess.Popen[bytes], receiver: Receiver) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"phoenix serve exited {proc.returncode}:\n{tail(receiver.log)}")
        try:
            if httpx.get(f"{receiver.http}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"phoenix serve not healthy after {START_TIMEOUT_S:g}s:\n{tail(receiver.log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- the receiver itself, with the plain OpenTelemetry SDK --------------------------------


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_phoenix_accepts_otlp_from_the_sdk(phoenix: Receiver, protocol: str) -> None:
    """The receiver works on its own: a failure below is then the product's, not Phoenix's."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{phoenix.http}/v1/traces")
    else:
        grpc = pytest.importorskip("opentelemetry.exporter.otlp.proto.grpc.trace_exporter")
        exporter = grpc.OTLPSpanExporter(endpoint=phoenix.grpc, insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "otlp-export-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("invoke_workflow incident") as root:
        with tracer.start_as_current_span("invoke_agent triage") as child:
            child.set_attribute("gen_ai.usage.input_tokens", 12)
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    spans = {s["name"]: s for s in phoenix.spans(trace_id, at_least=2)}
    assert set(spans) == {"invoke_workflow incident", "invoke_agent triage"}
    root_id = spans["invoke_workflow incident"]["context"]["span_id"]
    assert spans["invoke_agent triage"]["parent_id"] == root_id
    assert spans["invoke_agent triage"]["attributes"]["gen_ai.usage.input_tokens"] == 12


# --- the product: a replay exporting to the receiver -------------------------------------

needs_exporters = pytest.mark.skipif(
    "otel_exporter" not in Settings.model_fields,
    reason="settings.otel_exporter has not landed yet (issue 5, exporters)",
)


def replay_exporting(tmp_path: Path) -> Replay:
    """db-pool-exhaustion on scripted models, exported as `graph run` does: telemetry from the
    settings (read from the environment), installed for the run, flushed when it ends."""
    settings = Settings(checkpoint_db=tmp_path / "checkpoints.sqlite")
    opts = RunOptions(model_small="small", model_large="large", chat_models=scripted())
    with installed(setup_telemetry(settings)):
        return asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts))


@needs_exporters
@pytest.mark.parametrize("exporter", ["otlp-http", "otlp-grpc"])
def test_incident_trace_arrives_at_phoenix(
    phoenix: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exporter: str
) -> None:
    monkeypatch.setenv("INCIDENT_GRAPH_OTEL_EXPORTER", exporter)
    monkeypatch.setenv(
        "INCIDENT_GRAPH_OTEL_ENDPOINT", phoenix.http if exporter == "otlp-http" else phoenix.grpc
    )
    done = replay_exporting(tmp_path)
    assert all(done.checks.values()), done.checks
    spans = phoenix.spans(done.trace_id, at_least=8, with_root=True)
    names = sorted(s["name"] for s in spans)
    [root] = [s for s in spans if s["name"] == "invoke_workflow incident"]
    assert root["parent_id"] is None
    agents = {s["name"] for s in spans if s["parent_id"] == root["context"]["span_id"]}
    assert agents == {f"invoke_agent {u.node}" for u in done.state["usage"]}, names
    chats = {s["name"]: s["attributes"] for s in spans if s["name"].startswith("chat ")}
    assert set(chats) == {"chat small", "chat large"}, names
    for attrs in chats.values():
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["gen_ai.request.model"] in ("small", "large")
        # scripted models report no usage: the counts are there, zero (real ones: below)
        assert attrs["gen_ai.usage.input_tokens"] >= 0 <= attrs["gen_ai.usage.output_tokens"]
    tools = [s for s in spans if s["name"].startswith("execute_tool ")]
    assert tools, f"no tool span in {names}"
    assert all(s["attributes"]["gen_ai.tool.name"] == s["name"][13:] for s in tools)
    events = [e["name"] for s in spans for e in s["events"]]
    assert "gate.decision" in events, "the gate's verdict travels with the trace"


@needs_exporters
def test_graph_run_exports_its_real_token_counts(phoenix: Receiver, tmp_path: Path) -> None:
    """`graph run` as a user starts it, on a real (tiny) model: the trace arrives before the
    process exits, and its `chat` spans add up to the run result's tokens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "INCIDENT_GRAPH_"))}
    env |= {
        "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "checkpoints.sqlite"),
        "INCIDENT_GRAPH_AUDIT_DB": str(tmp_path / "audit.sqlite"),
        "INCIDENT_GRAPH_OTEL_EXPORTER": "otlp-grpc",
        "INCIDENT_GRAPH_OTEL_ENDPOINT": phoenix.grpc,
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--scenario", "db-pool-exhaustion",
         "--model-small", "smollm2-135m", "--model-large", "smollm2-135m", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=280, env=env, check=False,
    )  # fmt: skip
    assert done.stdout, done.stderr[-3000:]
    result = json.loads(done.stdout)
    spans = phoenix.spans(result["trace_id"], at_least=8, timeout_s=10)
    chats = [s["attributes"] for s in spans if s["name"] == "chat smollm2-135m"]
    assert chats, sorted(s["name"] for s in spans)
    for kind in ("input", "output"):
        traced = sum(a[f"gen_ai.usage.{kind}_tokens"] for a in chats)
        assert traced == sum(node[kind] for node in result["tokens"].values()) > 0
