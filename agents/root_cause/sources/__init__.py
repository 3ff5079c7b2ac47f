"""Evidence from the observability backends, when they are configured: metrics (Prometheus),
logs (a Loki-compatible API) and cluster state (Kubernetes).

Each is read as the same typed page facts a dashboard gives (series and the onset, error
signals, log lines, events in words, deploy markers), so the correlation treats them alike.
A backend whose MCP server is not running is not asked (nothing changes without them); one
that fails costs its evidence and marks the bundle partial, never the run. Queries are
derived from the alert's labels and the service catalog (`target`).
"""

from __future__ import annotations

from agents.root_cause.evidence import Bundle
from agents.root_cause.sources.cluster import read_cluster
from agents.root_cause.sources.logs import read_logs
from agents.root_cause.sources.metrics import read_metrics
from agents.root_cause.sources.target import Target, target
from core.ports import Tools
from core.state import Alert, Workload


async def read_sources(tools: Tools, alert: Alert, where: Target, bundle: Bundle) -> list[Workload]:
    """Read every configured backend; the alert's own deployments as the cluster reports them.
    One after the other (each takes milliseconds on its backend), so the pages always come
    in the same order and the same incident always makes the same prompt."""
    workloads: list[Workload] = []
    if tools.offers("kubernetes.describe_deployment"):
        workloads = await read_cluster(tools, where, bundle)
    if tools.offers("prometheus.query_range"):
        await read_metrics(tools, alert, where, bundle)
    if tools.offers("logs.query_range"):
        await read_logs(tools, alert, where, bundle)
    return workloads


__all__ = ["Target", "read_sources", "target"]
