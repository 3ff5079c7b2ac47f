"""The replay world: dashboards, the GitHub stand-in and the Slack stand-in on loopback.

`graph world` runs it in the foreground; replays and `graph tools` run the same object
in-process and point the MCP servers at it through `World.env()`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from world import dashboards
from world.github_api import GitHubStandIn
from world.http import LoopbackServers
from world.loader import LoadedScenario
from world.scenario import substitute
from world.slack_api import SlackStandIn


@dataclass(frozen=True)
class WorldPorts:
    """Fixed ports for `graph world --port-*`; 0 picks a free one."""

    dashboards: int = 0
    github: int = 0
    slack: int = 0


@dataclass(frozen=True)
class Endpoints:
    dashboards_url: str
    github_api_url: str
    slack_api_url: str


class World:
    """A scenario's stand-ins, served on 127.0.0.1; use as a context manager."""

    def __init__(self, loaded: LoadedScenario, ports: WorldPorts = WorldPorts()) -> None:
        self.loaded = loaded
        self.github_token = "ghp_" + secrets.token_hex(18)
        self.slack_token = "xoxb-" + secrets.token_hex(16)
        self.github = GitHubStandIn(loaded.spec, self.github_token)
        self.slack = SlackStandIn(loaded.spec, self.slack_token)
        self._servers = LoopbackServers(
            [dashboards.create_app(loaded), self.github.app, self.slack.app],
            [ports.dashboards, ports.github, ports.slack],
        )
        self._endpoints: Endpoints | None = None

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            raise RuntimeError("the world is not started")
        return self._endpoints

    def start(self) -> World:
        self._servers.start()
        dash, github, slack = self._servers.urls
        self._endpoints = Endpoints(dash, github, f"{slack}/api/")
        return self

    def stop(self) -> None:
        self._servers.stop()
        self._endpoints = None

    def env(self) -> dict[str, str]:
        """Variables that point the MCP servers at this world (they win over the environment)."""
        ep = self.endpoints
        return {
            "DASHBOARDS_URL": ep.dashboards_url,
            "GITHUB_API_URL": ep.github_api_url,
            "GITHUB_TOKEN": self.github_token,
            "SLACK_API_URL": ep.slack_api_url,
            "SLACK_BOT_TOKEN": self.slack_token,
            "REPLAY_NOW": self.loaded.spec.now,
        }

    def alert_payload(self) -> dict[str, Any]:
        """The alert exactly as its source would POST it, with `${DASHBOARDS_URL}` filled in."""
        raw = json.dumps(self.loaded.spec.alert.payload)
        payload: dict[str, Any] = json.loads(substitute(raw, self.endpoints.dashboards_url))
        return payload

    def __enter__(self) -> World:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
