# ruff: noqa: E501  (tables of test data read best one case per line)
"""Shared builders for the policy and gate tests: an inventory, actions, a policy from text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.state import ProposedAction, Provenance, Scalar
from policies.engine import Policy, load_policy
from policies.inventory import Inventory, PullFact

START = datetime(2026, 3, 14, 10, 12, tzinfo=UTC)  # a Saturday
CHOSEN = Provenance(trusted=False, source="root cause decided by the model")
TRUSTED = Provenance(trusted=True, source="pipeline rule")


def inventory(**overrides: Any) -> Inventory:
    values: dict[str, Any] = {
        "service": "orders-api",
        "repo": "acme/orders-api",
        "channel": "#oncall-backend",
        "tier": 1,
        "environment": "prod",
        "namespace": "prod",
        "workloads": frozenset({"orders-api"}),
        "catalog_channels": frozenset({"#oncall-backend", "#platform-team"}),
        "pulls": {
            ("acme/orders-api", 847): PullFact("acme/orders-api", 847, START - timedelta(minutes=8), 2),
            ("acme/orders-api", 700): PullFact("acme/orders-api", 700, START - timedelta(days=9), 1),
            ("acme/orders-api", 850): PullFact("acme/orders-api", 850, START - timedelta(hours=2), 80),
            ("acme/billing", 12): PullFact("acme/billing", 12, START - timedelta(minutes=5), 1),
        },
        "window": (START - timedelta(hours=72), START),
        "now": START + timedelta(minutes=8),
        "links": frozenset({"github.com"}),
    }  # fmt: skip
    return Inventory(**{**values, **overrides})


def action(
    tool: str,
    origin: Provenance = TRUSTED,
    provenance: dict[str, Provenance] | None = None,
    **args: Scalar,
) -> ProposedAction:
    return ProposedAction(
        id=f"{tool}-{abs(hash(tuple(sorted(args.items())))) % 10**8}",
        tool=tool,
        args=args,
        reason="test",
        origin=origin,
        provenance=provenance or {},
    )


def revert(pr: int = 847, repo: str = "acme/orders-api", **kw: Any) -> ProposedAction:
    return action("revert_pull_request", origin=kw.pop("origin", CHOSEN), pr=pr, repo=repo, **kw)


def policy(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    loaded = load_policy(path)
    assert loaded.error is None, loaded.error
    return loaded
