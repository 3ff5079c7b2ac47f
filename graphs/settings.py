"""One settings object, read once at start-up from the environment (prefix INCIDENT_GRAPH_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCIDENT_GRAPH_", extra="ignore")

    scenarios_dir: Path = Field(
        default=Path("scenarios"), description="where `--scenario NAME` is looked up"
    )
    mcp_servers_file: Path = Field(
        default=Path("mcp_servers.yaml"), description="the MCP server configuration"
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="browser binary for the Playwright MCP server"
    )


def load_settings() -> Settings:
    return Settings()
