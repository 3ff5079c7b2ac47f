"""Kubernetes as a stdio MCP server on the official client: pods, events, deployments, nodes,
and rollout restart / undo / scale.

Run `python -m mcpservers.kubernetes`. Settings come from the environment:

- `KUBERNETES_API_URL` and `KUBERNETES_TOKEN`: the API server's URL and a bearer token
  (a service account's); `KUBERNETES_CA_FILE` names the CA bundle for https, and
  `KUBERNETES_INSECURE_SKIP_TLS_VERIFY=true` skips verification (test clusters only).
- otherwise `KUBECONFIG`: a kubeconfig file (its current context; `KUBERNETES_CONTEXT`
  picks another). The server exits at start when neither is usable.
- `REPLAY_NOW` (optional, RFC 3339): "now" for `since_minutes` windows and the
  `restartedAt` stamp of a restart; replays set it to the scenario's `now`.

The API's errors come back as MCP tool errors quoting its message, e.g.
`Kubernetes API 404 Not Found: pods "api-0" not found (pod shop/api-0)`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException
from mcp.server.fastmcp import FastMCP

from mcpservers import kubernetes_tools
from mcpservers.timeargs import replay_now

_TRUE = {"1", "true", "yes"}
REQUEST_TIMEOUT = (5.0, 30.0)  # seconds to connect, to read


@dataclass(frozen=True)
class Settings:
    api_url: str | None = None
    token: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    now: datetime | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        url = env.get("KUBERNETES_API_URL", "").strip().rstrip("/")
        token = env.get("KUBERNETES_TOKEN", "").strip()
        now = replay_now(env)
        if url or token:
            return cls._direct(url, token, env, now)
        kubeconfig = env.get("KUBECONFIG", "").strip()
        if not kubeconfig:
            raise ValueError(
                "KUBERNETES_API_URL and KUBERNETES_TOKEN are not set, nor KUBECONFIG; give the "
                "API server's URL and a bearer token, or a kubeconfig file"
            )
        if not any(Path(p).is_file() for p in kubeconfig.split(os.pathsep) if p):
            raise ValueError(f"KUBECONFIG names no readable file: {kubeconfig!r}")
        context = env.get("KUBERNETES_CONTEXT", "").strip() or None
        return cls(kubeconfig=kubeconfig, context=context, now=now)

    @classmethod
    def _direct(
        cls, url: str, token: str, env: Mapping[str, str], now: datetime | None
    ) -> Settings:
        if not url:
            raise ValueError("KUBERNETES_TOKEN is set but KUBERNETES_API_URL is not")
        if not token:
            raise ValueError(f"KUBERNETES_API_URL is set ({url}) but KUBERNETES_TOKEN is not")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"KUBERNETES_API_URL must be an http(s) URL like https://10.0.0.1:6443; got {url!r}"
            )
        ca_file = env.get("KUBERNETES_CA_FILE", "").strip() or None
        if ca_file and not Path(ca_file).is_file():
            raise ValueError(f"KUBERNETES_CA_FILE names no readable file: {ca_file!r}")
        insecure = env.get("KUBERNETES_INSECURE_SKIP_TLS_VERIFY", "").strip().lower() in _TRUE
        return cls(api_url=url, token=token, ca_file=ca_file, insecure=insecure, now=now)

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


class TimedApiClient(ApiClient):
    """The client with (connect, read) timeouts on every request; the generated one has none."""

    def call_api(  # type: ignore[no-untyped-def]
        self, method, url, header_params=None, body=None, post_params=None, _request_timeout=None
    ) -> Any:
        timeout = _request_timeout or REQUEST_TIMEOUT
        return super().call_api(method, url, header_params, body, post_params, timeout)


def api_client(settings: Settings) -> ApiClient:
    """The client for the URL and token, or for the kubeconfig (ConfigException if unusable)."""
    if settings.api_url:
        conf = Configuration(
            host=settings.api_url,
            api_key={"BearerToken": settings.token or ""},
            api_key_prefix={"BearerToken": "Bearer"},
        )
        conf.verify_ssl = not settings.insecure
        conf.ssl_ca_cert = settings.ca_file
        return TimedApiClient(conf)
    conf = Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=settings.kubeconfig,
        context=settings.context,
        client_configuration=conf,
        persist_config=False,
    )
    return TimedApiClient(conf)


def build_server(client: ApiClient, clock: Callable[[], datetime]) -> FastMCP:
    """The FastMCP server with the Kubernetes tools bound to `client`; `clock` is "now"."""
    server = FastMCP("kubernetes", log_level="WARNING")
    kubernetes_tools.register_reads(server, client, clock)
    kubernetes_tools.register_writes(server, client, clock)
    return server


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
        client = api_client(settings)
    except (ValueError, ConfigException) as exc:
        sys.exit(f"mcpservers.kubernetes: {exc}")
    build_server(client, settings.clock).run("stdio")


if __name__ == "__main__":
    main()
