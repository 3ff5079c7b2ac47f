"""`make bench-ingest`: how fast `graph serve` acknowledges alerts durably, on loopback.

Starts the real service (`graph serve --workers 0`: acknowledgement only, the graph does
not run) on a fresh inbox, then C concurrent senders on keep-alive HTTP/1.1 connections
(a small asyncio client on uvloop, so the load generator costs little of the 2 cores)
POST N Alertmanager webhooks, each a new incident (the heaviest path: parse a 2 KB group,
two inserts). It prints accepted alerts per second and acknowledgement latency (p50, p90,
p99, max), then checks that every acknowledged alert is in the inbox and that D
duplicate sends of one alert, all at once, make one incident.

    python bench/ingest.py [--alerts N] [--senders C] [--duplicates D] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "alerts" / "alertmanager-group-firing.json"
CATALOG = ROOT / "scenarios" / "db-pool-exhaustion" / "scenario.yaml"
TOKEN = "bench-token"
TARGET_RATE, TARGET_P99_MS = 2000.0, 20.0


def request(host: str, body: bytes) -> bytes:
    head = (f"POST /alerts/alertmanager HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    return head.encode() + body


def bodies(count: int, tag: str) -> list[bytes]:
    """`count` webhooks of the fixture's group, each its own group (a new incident)."""
    template = json.loads(FIXTURE.read_text())
    out = []
    for n in range(count):
        template["groupKey"] = f'{{}}:{{alertname="HTTP5xxRateHigh", bench="{tag}-{n}"}}'
        out.append(json.dumps(template).encode())
    return out


async def sender(host: str, port: int, queue: list[bytes], latencies: list[float],
                 answers: list[bytes]) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while queue:
            payload = queue.pop()
            started = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I)[1])  # type: ignore[index]
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            answers.append(head[9:12] + b" " + body)
    finally:
        writer.close()


async def blast(
    host: str, port: int, payloads: list[bytes], senders: int
) -> tuple[float, list[float], list[bytes]]:
    queue = list(reversed(payloads))
    latencies: list[float] = []
    answers: list[bytes] = []
    started = time.perf_counter()
    await asyncio.gather(*(sender(host, port, queue, latencies, answers) for _ in range(senders)))
    return time.perf_counter() - started, latencies, answers


def start(state: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()),
           "INCIDENT_GRAPH_SERVICE_TOKEN": TOKEN, "INCIDENT_GRAPH_LOG_FORMAT": "json",
           "INCIDENT_GRAPH_INBOX_DB": str(state / "inbox.sqlite"),
           "INCIDENT_GRAPH_CHECKPOINT_DB": str(state / "checkpoints.sqlite")}  # fmt: skip
    if database_url:
        env["INCIDENT_GRAPH_DATABASE_URL"] = database_url
    log = (state / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--workers", "0",
         "--catalog", str(CATALOG)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://[\d.]+:\d+)", (state / "serve.log").read_text())
        if found:
            return proc, found[1]
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"graph serve did not start:\n{(state / 'serve.log').read_text()[-3000:]}")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def report(label: str, wall: float, latencies: list[float], answers: list[bytes]) -> int:
    accepted = sum(a.startswith(b"202") for a in answers)
    ms = [x * 1000 for x in latencies]
    print(f"{label}: {accepted}/{len(answers)} accepted (202) in {wall:.2f}s = "
          f"{accepted / wall:,.0f} alerts/s · ack latency p50 {percentile(ms, 50):.2f} ms, "
          f"p90 {percentile(ms, 90):.2f} ms, p99 {percentile(ms, 99):.2f} ms, "
          f"max {max(ms):.2f} ms")  # fmt: skip
    return accepted


def duplicates(url: str, host: str, port: int, count: int, senders: int) -> bool:
    body = bodies(1, "duplicate")[0]
    wall, latencies, answers = uvloop.run(blast(host, port, [request(host, body)] * count, senders))
    report(f"{count} duplicate sends", wall, latencies, answers)
    receipts = [json.loads(a[4:]) for a in answers if a.startswith(b"202")]
    ids = {r["incident_id"] for r in receipts}
    outcomes = sorted(r["outcome"] for r in receipts)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    view: dict[str, Any] = httpx.get(f"{url}/incidents/{ids.pop()}", headers=headers).json()
    ok = (len(receipts) == count and not ids and outcomes.count("new") == 1
          and view["alerts"] == count and view["duplicates"] == count - 1)  # fmt: skip
    print(f"  -> {'one incident' if ok else 'WRONG'}: {view['id']} holds {view['alerts']} alerts, "
          f"{view['duplicates']} duplicates; outcomes new={outcomes.count('new')} "
          f"duplicate={outcomes.count('duplicate')}")  # fmt: skip
    return ok


def main() -> int:
    args = parse()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        proc, url = start(Path(tmp), args.database_url)
        try:
            return run(args, url)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def run(args: argparse.Namespace, url: str) -> int:
    host, port = url.removeprefix("http://").split(":")
    inbox = "PostgreSQL" if args.database_url else "SQLite (WAL, synchronous=FULL)"
    print(
        f"graph serve at {url}, inbox {inbox}, {os.cpu_count()} CPU(s); "
        f"{args.senders} concurrent senders, keep-alive HTTP/1.1 on loopback"
    )
    warm = [request(host, b) for b in bodies(500, "warm")]
    uvloop.run(blast(host, int(port), warm, args.senders))
    load = [request(host, b) for b in bodies(args.alerts, "load")]
    gc.collect()
    gc.freeze()  # the sender's own garbage collections must not show up as server latency
    wall, latencies, answers = uvloop.run(blast(host, int(port), load, args.senders))
    accepted = report(f"{args.alerts} new alerts", wall, latencies, answers)
    health = httpx.get(f"{url}/healthz").json()
    stored = sum(health["incidents"].values())
    durable = stored == accepted + 500
    print(
        f"  -> {stored} incidents in the inbox after {accepted + 500} acknowledged "
        f"({'none lost' if durable else 'MISMATCH'})"
    )
    same = duplicates(url, host, int(port), args.duplicates, args.senders)
    rate, p99 = accepted / wall, percentile([x * 1000 for x in latencies], 99)
    met = rate >= TARGET_RATE and p99 <= TARGET_P99_MS
    print(
        f"target ≥ {TARGET_RATE:.0f} alerts/s with p99 ≤ {TARGET_P99_MS:.0f} ms: "
        f"{'met' if met else 'NOT met'} ({rate:,.0f} alerts/s, p99 {p99:.2f} ms)"
    )
    return 0 if durable and same and accepted == args.alerts else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=20_000, help="new alerts to send")
    parser.add_argument("--senders", type=int, default=32, help="concurrent connections")
    parser.add_argument("--duplicates", type=int, default=1000, help="sends of one alert")
    parser.add_argument("--database-url", default=None, help="bench the PostgreSQL inbox")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
