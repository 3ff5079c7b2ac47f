"""What the observability backends are asked about: the alert's namespace, workload and pod,
from its labels (an authenticated source) or the service catalog, and the time window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.catalog import Service
from core.state import Alert

BEFORE = timedelta(hours=2)  # the baseline before the onset
AFTER = timedelta(minutes=15)  # and what followed the alert
_WORKLOAD_LABELS = ("deployment", "workload", "horizontalpodautoscaler", "statefulset",
                    "app_kubernetes_io_name", "app", "application")  # fmt: skip
_POD_SUFFIX = re.compile(r"-[a-z0-9]{6,10}-[a-z0-9]{5}$")  # <deployment>-<rs hash>-<pod id>
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class Target:
    namespace: str | None
    workload: str | None  # a deployment's name
    pod: str | None
    start: datetime
    end: datetime

    def described(self) -> str:
        where = "/".join(x for x in (self.namespace, self.workload or self.pod) if x)
        return where or "the cluster"


def target(alert: Alert, service: Service | None, service_name: str | None) -> Target:
    labels = alert.labels
    namespace = _name(labels.get("namespace")) or (service.namespace if service else None)
    pod = _name(labels.get("pod"))
    workload = next((_name(labels[k]) for k in _WORKLOAD_LABELS if _name(labels.get(k))), None)
    if workload is None and pod:
        workload = _POD_SUFFIX.sub("", pod) if _POD_SUFFIX.search(pod) else None
    if workload is None and service is not None:
        workload = _name(service_name)
    return Target(namespace, workload, pod, alert.starts_at - BEFORE, alert.starts_at + AFTER)


def _name(value: str | None) -> str | None:
    """A Kubernetes object name, or None (a label's value is quoted into queries)."""
    return value if value and len(value) <= 253 and _NAME.match(value) else None
