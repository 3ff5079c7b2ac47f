"""One settings object, read once at start-up from the environment (prefix INCIDENT_GRAPH_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    audit_db: Path = Field(
        default_factory=lambda: _state_dir() / "audit.sqlite",
        description="SQLite file of the guardian's decisions and approvals (`graph audit`)",
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="browser binary for the Playwright MCP server"
    )
    # --- models (runtime/models) ---
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
    llm_prefix_cache_mb: int = Field(
        default=256,
        ge=0,
        description="embedded models: RAM per model for the states of earlier prompts, so a "
        "prompt that starts like an earlier one skips reading that part again (0: off)",
    )
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
    # --- the webhook service (graph serve: service/, docs/service.md) ---
    service_token: SecretStr | None = Field(
        default=None,
        description="bearer token for the alert webhooks and the incident API "
        "(`Authorization: Bearer <token>`)",
    )
    service_hmac_secret: SecretStr | None = Field(
        default=None,
        description="shared secret for HMAC-SHA256 signed webhooks (Grafana's "
        "X-Grafana-Alerting-Signature, or X-Signature-256: sha256=<hex>)",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Slack app signing secret for POST /slack/interactions"
    )
    approvers: Annotated[
        tuple[str, ...],
        NoDecode,
        BeforeValidator(lambda v: tuple(p.strip() for p in v.split(",") if p.strip())
                        if isinstance(v, str) else v),
    ] = Field(
        default=(),
        description="who may approve or deny actions, comma-separated: Slack user ids "
        "(U0123ABCD) for the buttons, names for the HTTP API (empty: nobody can)",
    )  # fmt: skip
    roles_file: Path | None = Field(
        default=None,
        description="who may view incidents and approve which actions in which environment "
        "(docs/roles.md); set, it replaces INCIDENT_GRAPH_APPROVERS; missing or invalid: "
        "nobody may approve",
    )
    mcp_user: str | None = Field(
        default=None,
        description="`graph mcp`: the person (in the roles) the MCP host's user is; the "
        "approval tools answer as them (never as a name the model gives)",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://...) for the inbox and checkpoints of "
        "`graph serve`; unset: SQLite files (inbox_db, checkpoint_db)",
    )
    broker_url: SecretStr | None = Field(
        default=None,
        description="Celery broker (amqp://… for RabbitMQ, redis://…): `graph serve` queues "
        "incident runs there and `graph worker` processes run them (docs/scale-out.md); "
        "needs INCIDENT_GRAPH_DATABASE_URL",
    )
    broker_queue_prefix: str = Field(
        default="incident-graph",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$",
        description="the broker's queues are `<prefix>.critical` and `<prefix>.default`",
    )
    inbox_db: Path = Field(
        default_factory=lambda: _state_dir() / "inbox.sqlite",
        description="SQLite file (WAL) of the service's inbox: alerts, incidents, approvals",
    )
    service_workers: int = Field(
        default=1, ge=0, description="incidents `graph serve` runs at once (0: accept only)"
    )
    dedup_window_s: float = Field(
        default=21600.0, gt=0,
        description="alerts of one group or fingerprint within this many seconds of the last "
        "join the open incident (6 h: longer than Alertmanager's default repeat_interval)",
    )  # fmt: skip
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="larger webhook bodies are refused with 413"
    )
    alert_mappings_file: Path | None = Field(
        default=None,
        description="YAML file of generic-webhook mappings (JMESPath per alert field) that add "
        "to or replace the built-ins (datadog, pagerduty, sentry, cloudwatch); docs/alerts.md",
    )


def default_models_dir() -> Path:
    """`$XDG_CACHE_HOME/incident-graph/models`, else `~/.cache/incident-graph/models`."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "incident-graph" / "models"


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "incident-graph"


def secret(value: SecretStr | None) -> str | None:
    """A secret setting's text, or None when it is not set."""
    return value.get_secret_value() if value is not None else None


def load_settings() -> Settings:
    return Settings()
