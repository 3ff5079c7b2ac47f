"""`mcp_servers.yaml`: which MCP servers the pipeline starts, and which of their tools mutate.

The file is validated before anything starts; every problem names the file, the server
and the field. `${VAR}` and `${VAR:-default}` expand in `command`, `args`, `env`, `url`
and `headers` from the variables given (the process environment, then the replay world).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """`mcp_servers.yaml` cannot be used; the message says where and why."""


class ToolPolicy(BaseModel):
    """Tool names by effect; a tool in neither list is treated as mutating."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    read: list[str] = []
    mutating: list[str] = []

    @model_validator(mode="after")
    def _disjoint(self) -> ToolPolicy:
        both = sorted(set(self.read) & set(self.mutating))
        if both:
            raise ValueError(f"tools listed as both read and mutating: {', '.join(both)}")
        return self


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    transport: Literal["stdio", "streamable_http"] = "stdio"
    command: str | None = None
    args: list[str] = []
    env: dict[str, str] = {}
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    startup_timeout_s: float = Field(default=30.0, gt=0, le=600)
    description: str = ""
    requires: list[str] = []  # variables that must be set (non-empty) for it to start at all
    tools: ToolPolicy = ToolPolicy()

    @model_validator(mode="after")
    def _transport_fields(self) -> ServerConfig:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio server needs 'command'")
        if self.transport == "streamable_http" and not self.url:
            raise ValueError("a streamable_http server needs 'url'")
        return self

    def is_mutating(self, tool: str) -> bool:
        return tool not in self.tools.read


class ToolsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    servers: dict[str, ServerConfig] = Field(min_length=1)


def load_config(path: Path) -> ToolsConfig:
    """Parse and validate `path` (no expansion yet: that needs the run's variables)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found (set MCP_SERVERS_FILE or pass --mcp)") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'servers' key")
    try:
        return ToolsConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {_where(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("invalid MCP server config\n" + "\n".join(lines)) from exc


def wanted(config: ServerConfig, variables: Mapping[str, str]) -> bool:
    """Whether the server is configured here: every variable it `requires` is set. A server
    whose backend is not configured (no Prometheus in this world) is not started at all."""
    return all(variables.get(name) for name in config.requires)


def expand(server: str, config: ServerConfig, variables: Mapping[str, str]) -> ServerConfig:
    """`config` with every `${VAR}` replaced; a missing variable without default is an error."""

    def sub(text: str, field: str) -> str:
        def one(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in variables:
                return variables[name]
            if default is not None:
                return default
            raise ConfigError(
                f"server {server!r}, {field}: ${{{name}}} is not set; export {name} "
                f"or write ${{{name}:-default}}"
            )

        return _VAR.sub(one, text)

    return config.model_copy(
        update={
            "command": sub(config.command, "command") if config.command else None,
            "args": [sub(a, f"args[{i}]") for i, a in enumerate(config.args)],
            "env": {k: sub(v, f"env.{k}") for k, v in config.env.items()},
            "url": sub(config.url, "url") if config.url else None,
            "headers": {k: sub(v, f"headers.{k}") for k, v in config.headers.items()},
        }
    )


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "servers":
        return f"server {parts[1]!r}" + (f", {'.'.join(parts[2:])}" if parts[2:] else "")
    return ".".join(parts) or "(top level)"
