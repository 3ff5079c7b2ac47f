"""Shared builders for the Kubernetes action tests: the alert's deployment as the cluster
reported it, an incident state whose root cause read it, and the three typed actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.state import (
    Alert,
    IncidentState,
    ProposedAction,
    Provenance,
    RootCause,
    Triage,
    Workload,
)
from policies.inventory import Inventory
from tests.policy_fixtures import START, action, inventory

DECIDED = Provenance(trusted=False, source="root cause decided by the model")


def workload(**overrides: Any) -> Workload:
    """orders-api in prod: 4 replicas, revision 3 of 1..3, rolled out 20 min before the alert."""
    values: dict[str, Any] = {
        "namespace": "prod",
        "name": "orders-api",
        "replicas": 4,
        "ready": 1,
        "revision": 3,
        "revisions": (1, 2, 3),
        "rolled_out_at": START - timedelta(minutes=20),
        "images": ("orders-api:1.3",),
    }
    return Workload(**{**values, **overrides})


def cluster(*workloads: Workload, **overrides: Any) -> Inventory:
    """The policy tests' inventory, with these deployments read from the cluster."""
    found = workloads or (workload(),)
    return inventory(deployments={(w.namespace, w.name): w for w in found}, **overrides)


def rollback(name: str = "orders-api", namespace: str = "prod", **kw: Any) -> ProposedAction:
    return action("rollback_deployment", origin=kw.pop("origin", DECIDED), name=name,
                  namespace=namespace, **kw)  # fmt: skip


def scale(
    replicas: Any, name: str = "orders-api", namespace: str = "prod", **kw: Any
) -> ProposedAction:
    return action("scale_deployment", origin=kw.pop("origin", DECIDED), name=name,
                  namespace=namespace, replicas=replicas, **kw)  # fmt: skip


def restart(name: str = "orders-api", namespace: str = "prod", **kw: Any) -> ProposedAction:
    return action("restart_deployment", name=name, namespace=namespace, **kw)


def incident(
    *workloads: Workload, actions: list[ProposedAction] | None = None, read: bool = True
) -> IncidentState:
    """An orders-api incident in prod whose investigation read `workloads` from the cluster
    (none when `read` is false: the cluster was never asked)."""
    alert = Alert(
        source="alertmanager", fingerprint="f1", name="OrdersApiErrors", status="firing",
        starts_at=START,
        labels={"alertname": "OrdersApiErrors", "service": "orders-api", "namespace": "prod",
                "deployment": "orders-api", "environment": "prod"},
        annotations={"summary": "orders-api 5xx"},
    )  # fmt: skip
    triage = Triage(
        severity="critical", category="errors", service="orders-api", team="backend",
        channel="#oncall-backend", tier=1, environment="prod", reasons=("label critical",),
    )  # fmt: skip
    cause = RootCause(
        kind="unknown", summary="orders-api's last rollout broke it", confidence=0.7,
        decided_by="model", workloads=(workloads or (workload(),)) if read else (),
    )  # fmt: skip
    return {
        "incident_id": "inc-k8s",
        "alert": alert,
        "triage": triage,
        "root_cause": cause,
        "actions": actions or [],
    }
