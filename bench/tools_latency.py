"""Start-up and call latency of the replay world and the MCP tool layer.

Run `make bench-tools` (or `python bench/tools_latency.py [--scenario NAME] [--repeat N]`).
Prints the median and the worst of N runs for: world start, each server's start,
a Playwright navigate + snapshot, a GitHub call and a Slack call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict

from runtime.settings import Settings
from runtime.toolset import open_tools
from world.loader import load
from world.runtime import World


async def one_run(world: World, samples: dict[str, list[float]]) -> None:
    async with open_tools(Settings(), world.env()) as host:
        for name, secs in host.startup_s.items():
            samples[f"start {name} server"].append(secs)
        url = f"{world.endpoints.dashboards_url}/{sorted(world.loaded.spec.dashboards)[0]}"
        started = time.perf_counter()
        await host.call("playwright.browser_navigate", {"url": url})  # first: launches Chromium
        snap = await host.call("playwright.browser_snapshot", {})
        samples["navigate+snapshot (first, with browser launch)"].append(
            time.perf_counter() - started
        )
        assert snap.status == "success", snap.text
        started = time.perf_counter()
        await host.call("playwright.browser_navigate", {"url": url})
        await host.call("playwright.browser_snapshot", {})
        samples["navigate+snapshot (browser warm)"].append(time.perf_counter() - started)
        repo, pr = next(iter(world.loaded.spec.all_pulls()))
        result = await host.call("github.get_pull_request", {"repo": repo, "number": pr.number})
        assert result.status == "success", result.text
        samples["github.get_pull_request"].append(result.duration_s)
        channel = world.loaded.spec.slack.channels[0]
        result = await host.call("slack.post_message", {"channel": channel, "text": "bench"})
        assert result.status == "success", result.text
        samples["slack.post_message"].append(result.duration_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="db-pool-exhaustion")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    loaded = load(args.scenario)
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.repeat):
        started = time.perf_counter()
        with World(loaded) as world:
            samples["start world (3 loopback servers)"].append(time.perf_counter() - started)
            asyncio.run(one_run(world, samples))
    print(f"{'measure':<50} {'median':>9} {'max':>9}   ({args.repeat} runs, {args.scenario})")
    for name, values in samples.items():
        print(f"{name:<50} {statistics.median(values) * 1000:>7.1f}ms {max(values) * 1000:>7.1f}ms")


if __name__ == "__main__":
    main()
