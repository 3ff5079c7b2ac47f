"""One settings object, read once at start-up from the environment (prefix INCIDENT_GRAPH_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCIDENT_GRAPH_", extra="ignore")

    scenarios_dir: Path = Field(
        default=Path("scenarios"), description="where `--scenario NAME` is looked up"
    )
    mcp_servers_file: Path = Field(
        default=Path("mcp_servers.yaml"), description="the MCP server configuration"
    )
    policy_file: Path = Field(
        default=Path("policies/default.yaml"), description="the security guardian's policy"
    )
    pricing_file: Path = Field(
        default=Path("observability/pricing.yaml"),
        description="model prices (USD) for cost_usd, `graph cost` and the cost counter",
    )
    checkpoint_db: Path = Field(
        default_factory=lambda: _state_dir() / "checkpoints.sqlite",
        description="SQLite file of LangGraph checkpoints (one thread per incident)",
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="browser binary for the Playwright MCP server"
    )
    # --- models (graphs/models) ---
    models_dir: Path = Field(
        default_factory=lambda: default_models_dir(),
        description="where GGUF weights are joined and verified",
    )
    model_provider: Literal["auto", "embedded", "ollama"] = Field(
        default="auto", description="auto: ollama when ollama_host is set, else embedded llama.cpp"
    )
    ollama_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ollama_host", "INCIDENT_GRAPH_OLLAMA_HOST", "OLLAMA_HOST"),
        description="Ollama server URL (INCIDENT_GRAPH_OLLAMA_HOST or OLLAMA_HOST)",
    )
    model_small: str = Field(
        default="qwen2.5-coder-0.5b", description="triage/extraction model: catalog name or .gguf"
    )
    model_large: str = Field(
        default="qwen2.5-coder-1.5b", description="root-cause/review model: catalog name or .gguf"
    )
    ollama_model_small: str | None = Field(
        default=None, description="Ollama model name for the small role (default: model_small)"
    )
    ollama_model_large: str | None = Field(
        default=None, description="Ollama model name for the large role (default: model_large)"
    )
    llm_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1, description="llama.cpp CPU threads"
    )
    llm_context: int = Field(default=4096, description="context window (tokens) for local models")
    # --- observability (observability/telemetry.py, observability/logs.py) ---
    otel_exporter: Literal["none", "console", "otlp-http", "otlp-grpc", "file"] = Field(
        default="none", description="where spans and metrics go during `graph run` / `graph eval`"
    )
    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "otel_endpoint", "INCIDENT_GRAPH_OTEL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
        description="OTLP collector (default http://127.0.0.1:4318 for otlp-http, "
        "127.0.0.1:4317 for otlp-grpc; also OTEL_EXPORTER_OTLP_ENDPOINT)",
    )
    otel_file: Path | None = Field(
        default=None, description="OTLP JSON-lines file for otel_exporter 'file'"
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: JSON lines unless stderr is a terminal"
    )


def default_models_dir() -> Path:
    """`$XDG_CACHE_HOME/incident-graph/models`, else `~/.cache/incident-graph/models`."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "incident-graph" / "models"


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "incident-graph"


def load_settings() -> Settings:
    return Settings()
