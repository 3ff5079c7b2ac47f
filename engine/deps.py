"""A run's dependencies, built by one explicit factory that fails loudly at start-up.

`build_deps` loads the policy and opens the audit store (a missing or invalid policy, or an
audit store that cannot be opened, is a `StartupError` naming the file and the fix: a run
that gates mutations never starts without them), and bundles the models, the tools, the
gate, the catalog and the clock into a `RunDeps` (`core.ports.Deps`). `check_models` and
`warm_models` do the same for the models' weights before anything else starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from core.catalog import Service
from core.state import RawAlert
from engine.errors import StartupError
from engine.options import RunOptions, model_names
from mcphost.threaded import ThreadedToolHost
from observability.logs import log
from policies.audit import AuditStore
from policies.engine import Policy, load_policy
from policies.guard import PolicyGuard
from runtime.llm import ModelPool
from runtime.models.embedded import EmbeddedChatModel
from runtime.models.factory import get_chat_model, resolve_provider, weights_path
from runtime.settings import Settings, secret
from runtime.tools import MeteredTools


@dataclass(frozen=True)
class RunDeps:
    """Everything a node may use during one run (implements `core.ports.Deps`)."""

    catalog: Mapping[str, Service]
    models: ModelPool
    tools: MeteredTools
    guard: PolicyGuard
    clock: Callable[[], datetime]
    default_alert: RawAlert | None = None

    def now(self) -> datetime:
        return self.clock()


def build_deps(
    settings: Settings,
    host: ThreadedToolHost,
    catalog: Mapping[str, Service],
    clock: Callable[[], datetime],
    options: RunOptions,
    default_alert: RawAlert | None = None,
) -> RunDeps:
    """A run's dependencies from its parts (replays: the scenario's; `graph serve`: its own)."""
    models = ModelPool(settings, model_names(settings, options), options.progress)
    models.preload(options.chat_models)
    guard = PolicyGuard(load_gate_policy(settings), open_audit(settings), models, catalog, clock)
    return RunDeps(catalog, models, MeteredTools(host), guard, clock, default_alert)


def load_gate_policy(settings: Settings) -> Policy:
    """The guardian's policy; a StartupError when it is missing or invalid."""
    policy = load_policy(settings.policy_file)
    if policy.error:
        reason = policy.error.removesuffix("; every mutation is blocked")
        raise StartupError(
            f"the guardian's policy cannot be used: {reason}\n"
            f"  fix it (`graph policy check {settings.policy_file}` names each problem) or point "
            "INCIDENT_GRAPH_POLICY_FILE at a valid policy such as policies/default.yaml"
        )
    return policy


def open_audit(settings: Settings) -> AuditStore:
    """The audit store; a StartupError when it cannot be created or opened."""
    url = secret(settings.database_url)
    where = "INCIDENT_GRAPH_DATABASE_URL" if url else str(settings.audit_db)
    try:
        return AuditStore(settings.audit_db, url)
    except Exception as exc:  # sqlite3, psycopg or the file system: each says why
        raise StartupError(
            f"the audit store ({where}) cannot be opened: {type(exc).__name__}: {exc}\n"
            "  the gate records every decision there and counts its per-hour rate limits from "
            "it; set INCIDENT_GRAPH_AUDIT_DB to a writable file (or fix the database URL)"
        ) from exc


def preflight(settings: Settings, options: RunOptions) -> None:
    """Before anything starts: the models' weights, the policy and the audit store are usable
    (each problem is a StartupError or a WeightsError naming the file and the fix)."""
    check_models(settings, options)
    load_gate_policy(settings)
    open_audit(settings)


def check_models(settings: Settings, options: RunOptions) -> None:
    """Fail before anything starts when a model's weights are missing or corrupt."""
    if resolve_provider(settings) != "embedded":
        return
    for name in model_names(settings, options).values():
        if name not in options.chat_models:
            weights_path(name, settings, fetch=False)


def warm_models(settings: Settings, options: RunOptions) -> list[str]:
    """Load every configured model's weights now; the problems, one per model that failed
    (each model is tried, whatever happened to the one before)."""
    problems = []
    for name in dict.fromkeys(model_names(settings, options).values()):
        if name in options.chat_models:
            continue  # injected (a test's scripted model): no weights to load
        try:
            model = get_chat_model(name, settings, fetch=False)
            if isinstance(model, EmbeddedChatModel):
                model.load()
        except Exception as exc:
            problems.append(f"model {name!r} did not load: {type(exc).__name__}: {exc}")
            log().error("model warm-up failed", model=name, error=str(exc))
    return problems
