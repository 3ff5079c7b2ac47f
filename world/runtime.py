"""The replay world: dashboards, the GitHub stand-in and the Slack stand-in on loopback,
and, when the scenario has them, a real Prometheus with its metrics backfilled, the
Loki-compatible log API and the Kubernetes API stand-in.

`graph world` runs it in the foreground; replays and `graph tools` run the same object
in-process and point the MCP servers at it through `World.env()` (a server whose backend the
scenario lacks is not started: `requires` in mcp_servers.yaml).
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
from world.kubernetes_api import KubernetesStandIn
from world.loader import LoadedScenario
from world.loki_api import LokiStandIn
from world.prometheus import PrometheusServer
from world.scenario import substitute
from world.slack_api import SlackStandIn


@dataclass(frozen=True)
class WorldPorts:
    """Fixed ports for `graph world --port-*`; 0 picks a free one."""

    dashboards: int = 0
    github: int = 0
    slack: int = 0
    prometheus: int = 0
    logs: int = 0
    kubernetes: int = 0


@dataclass(frozen=True)
class Endpoints:
    dashboards_url: str
    github_api_url: str
    slack_api_url: str
    prometheus_url: str = ""
    loki_url: str = ""
    kubernetes_api_url: str = ""


class World:
    """A scenario's stand-ins, served on 127.0.0.1; use as a context manager."""

    def __init__(self, loaded: LoadedScenario, ports: WorldPorts = WorldPorts()) -> None:
        self.loaded = loaded
        self.github_token = "ghp_" + secrets.token_hex(18)
        self.slack_token = "xoxb-" + secrets.token_hex(16)
        self.github = GitHubStandIn(loaded.spec, self.github_token)
        self.slack = SlackStandIn(loaded.spec, self.slack_token)
        spec, now = loaded.spec, loaded.spec.now_dt
        apps = [dashboards.create_app(loaded), self.github.app, self.slack.app]
        wanted = [ports.dashboards, ports.github, ports.slack]
        self.loki = LokiStandIn(spec.logs, now) if spec.logs else None
        self.kubernetes_token = "k8s-" + secrets.token_hex(16)
        self.kubernetes = (KubernetesStandIn(spec.kubernetes, self.kubernetes_token, now,
                                             logs=spec.logs)
                           if spec.kubernetes else None)  # fmt: skip
        for extra, port in ((self.loki, ports.logs), (self.kubernetes, ports.kubernetes)):
            if extra is not None:
                apps.append(extra.app)
                wanted.append(port)
        self.prometheus = (PrometheusServer(spec.metrics, now, port=ports.prometheus)
                           if spec.metrics else None)  # fmt: skip
        self._servers = LoopbackServers(apps, wanted)
        self._endpoints: Endpoints | None = None

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            raise RuntimeError("the world is not started")
        return self._endpoints

    def start(self) -> World:
        self._servers.start()
        try:
            prometheus = self.prometheus.start().url if self.prometheus else ""
        except BaseException:
            self._servers.stop()
            raise
        dash, github, slack, *extra = self._servers.urls
        loki = extra.pop(0) if self.loki else ""
        kubernetes = extra.pop(0) if self.kubernetes else ""
        self._endpoints = Endpoints(dash, github, f"{slack}/api/", prometheus, loki, kubernetes)
        return self

    def stop(self) -> None:
        if self.prometheus:
            self.prometheus.stop()
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
            # empty when the scenario has no such evidence: those servers are not started
            "PROMETHEUS_URL": ep.prometheus_url,
            "LOKI_URL": ep.loki_url,
            "KUBERNETES_API_URL": ep.kubernetes_api_url,
            "KUBERNETES_TOKEN": self.kubernetes_token if ep.kubernetes_api_url else "",
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
