"""Incidents per minute with 1, 2 and 3 `graph worker`s (docs/scale-out.md).

`graph serve` with RabbitMQ and PostgreSQL on loopback, the world in a process of its own,
workers on scripted (instant) models: what is measured is the pipeline around the models
(MCP servers, Chromium reading the dashboards, GitHub reads, checkpoints, the queue). For
each worker count: a fresh database and queues, --incidents alerts posted at once, the time
until every incident has reached its approval. Prints incidents/min, the speed-up over one
worker and its ratio to the worker count (the issue's target: >= 0.8 x N with scripted
models), and the machine's cores, which bound it.

With `--real-models` the workers run the embedded local models instead (each worker loads
its own pair; on one 2-core host they share the cores, so this measures contention, not
scale-out across hosts).

Usage: python bench/scale_out.py [--incidents 12] [--workers 1,2,3] [--model-delay S]
       [--real-models]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.service_support import (  # noqa: E402
    kill_all,
    postgres_database,
    service_env,
    start_service,
    world_process,
)
from tests.test_scale_out import (  # noqa: E402
    BROKER,
    SCENARIO,
    Worker,
    distinct,
    post,
    scenario_payload,
    wait_all,
)


def measure(
    workers: int, incidents: int, root: Path, delay_s: float, real_models: bool = False
) -> float:
    """Incidents per minute, from the first alert to the last incident awaiting approval."""
    state = root / f"w{workers}"
    state.mkdir()
    prefix = f"incident-graph-bench-{uuid.uuid4().hex[:6]}"
    with world_process("db-pool-exhaustion", state / "world.log") as world, \
            postgres_database() as url:  # fmt: skip
        env = service_env(state, **world, INCIDENT_GRAPH_DATABASE_URL=url,
                          INCIDENT_GRAPH_BROKER_URL=BROKER,
                          INCIDENT_GRAPH_BROKER_QUEUE_PREFIX=prefix,
                          SCRIPTED_CAUSE_DELAY_S=str(delay_s))  # fmt: skip
        try:
            service = start_service(state / "serve.log", ["--catalog", str(SCENARIO)], env)
            running = [Worker(env, state / f"worker-{n}.log", concurrency=1,
                              real_models=real_models) for n in range(workers)]  # fmt: skip
            payload = scenario_payload(world["DASHBOARDS_URL"])
            started = time.perf_counter()
            ids = [post(service, distinct(payload, n))["incident_id"] for n in range(incidents)]
            wait_all(service, ids, "awaiting_approval", timeout=1800)
            took = time.perf_counter() - started
            for worker in running:
                worker.stop()
            service.stop()
        finally:
            kill_all()
    return incidents / took * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=12)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--model-delay", type=float, default=0.0, metavar="S",
                        help="the root-cause model answers after S seconds without using the "
                        "CPU, as a model served elsewhere (a GPU host) would")  # fmt: skip
    parser.add_argument(
        "--real-models",
        action="store_true",
        help="workers on the embedded local models instead of scripted ones",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    cores = os.cpu_count() or 1
    models = ("the embedded local models" if args.real_models else
              f"scripted models (root cause answers after {args.model_delay:g} s)")  # fmt: skip
    print(f"scale-out: {args.incidents} incidents per run, {models}, {cores} cores")
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            rates[n] = measure(n, args.incidents, Path(tmp), args.model_delay, args.real_models)
            print(f"  {n} worker(s): {rates[n]:.1f} incidents/min", flush=True)
    base = rates[counts[0]] / counts[0]
    print("\n| workers | incidents/min | speed-up | speed-up / N |")
    print("|---|---|---|---|")
    for n in counts:
        speed = rates[n] / base
        print(f"| {n} | {rates[n]:.1f} | {speed:.2f}x | {speed / n:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
