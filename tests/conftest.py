"""Shared fixtures: a clean environment for every test, and the repository's paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

_LEAKY = (
    "GITHUB_TOKEN", "GITHUB_API_URL", "SLACK_BOT_TOKEN", "SLACK_API_URL", "DASHBOARDS_URL",
    "PROMETHEUS_URL", "PROMETHEUS_BEARER_TOKEN", "LOKI_URL", "LOKI_BEARER_TOKEN", "LOKI_TENANT",
    "KUBERNETES_API_URL", "KUBERNETES_TOKEN", "KUBERNETES_CA_FILE", "KUBECONFIG",
    "KUBERNETES_CONTEXT",
)  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def private_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The whole session's state (audit trail, checkpoints, inbox) in a temporary folder,
    never the developer's: fixtures wider than a test (module-scoped worlds, services) run
    before `clean_env`, and an approval they record must not spend the rate limit of the
    next `make demo`."""
    state = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(state))
        patch.setenv("INCIDENT_GRAPH_AUDIT_DB", str(state / "audit.sqlite"))
        yield


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's tokens or URLs, and none leaks its own to the next.
    Each test has its own audit trail (so rate limits never carry over)."""
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("INCIDENT_GRAPH_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INCIDENT_GRAPH_AUDIT_DB", str(tmp_path / "audit.sqlite"))
    monkeypatch.chdir(ROOT)
    yield
