"""`graph world --scenario NAME`: serve the scenario's world on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from cli.errors import EXIT_OK, CliError, load_scenario
from runtime.settings import Settings
from world.runtime import World, WorldPorts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    for part in ("dashboards", "github", "slack"):
        parser.add_argument(
            f"--port-{part}",
            type=int,
            default=0,
            metavar="PORT",
            help=f"port for the {part} server (default: a free one)",
        )
    parser.add_argument(
        "--github-write-delay",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="each GitHub write (revert, issue, comment) takes effect and answers after S "
        "seconds: a slow GitHub, to see what a crash in the middle of a mutation does",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError(f"{value:g} s: give 0 to 600 seconds")
    return value


def run(args: argparse.Namespace, settings: Settings) -> int:
    loaded = load_scenario(settings, args.scenario)
    ports = WorldPorts(args.port_dashboards, args.port_github, args.port_slack)
    world = World(loaded, ports)
    world.github.write_delay_s = args.github_write_delay
    try:
        world.start()
    except OSError as exc:
        raise CliError(f"the world could not start: {exc}") from exc
    try:
        print(describe(world), flush=True)
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()
        print(summary(world), flush=True)
    return EXIT_OK


def describe(world: World) -> str:
    ep, spec = world.endpoints, world.loaded.spec
    pages = "\n".join(f"    {ep.dashboards_url}/{key}" for key in sorted(spec.dashboards))
    exports = "\n".join(f"    export {k}={v}" for k, v in world.env().items())
    return (
        f"world for scenario {spec.name!r}: {spec.title}\n"
        f"  dashboards   {ep.dashboards_url}/\n{pages}\n"
        f"  GitHub API   {ep.github_api_url}   (writes: {ep.github_api_url}/_world/writes"
        f"{_delay(world.github.write_delay_s)})\n"
        f"  Slack API    {ep.slack_api_url}   (messages: "
        f"{ep.slack_api_url.removesuffix('/api/')}/_world/messages)\n"
        f"  point the MCP servers (or PyGithub / slack_sdk) here with:\n{exports}\n"
        "Ctrl-C stops it."
    )


def _delay(seconds: float) -> str:
    return f"; each answers after {seconds:g} s" if seconds else ""


def summary(world: World) -> str:
    writes = "".join(f"\n  github {w.method} {w.path}" for w in world.github.writes)
    messages = "".join(f"\n  slack {m.channel}: {m.text[:80]}" for m in world.slack.messages)
    return (
        f"world stopped; recorded {len(world.github.writes)} GitHub writes and "
        f"{len(world.slack.messages)} Slack messages{writes}{messages}"
    )
