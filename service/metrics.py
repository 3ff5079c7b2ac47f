"""The service's Prometheus metrics (`GET /metrics`), in a registry of its own per app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

ACK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
RUN_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    def __init__(
        self,
        counts: Callable[[], dict[str, int]] | None = None,
        depths: Callable[[], dict[str, int]] | None = None,
        workers: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        r = self.registry = CollectorRegistry()
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)

        def counter(name: str, what: str, *labels: str) -> Counter:
            return Counter(f"incident_graph_{name}", what, labels, registry=r)

        self.alerts = counter(
            "alerts",
            "alerts durably accepted, by source and outcome "
            "(new, joined, duplicate, resolved, unmatched)",
            "source",
            "outcome",
        )
        self.rejected = counter(
            "alerts_rejected",
            "webhook requests refused, by source and HTTP status (401, 413, 422)",
            "source",
            "status",
        )
        self.runs = counter(
            "runs",
            "incident run segments, by how they ended (completed, "
            "awaiting_approval, failed, released, lease_lost)",
            "result",
        )
        self.approvals = counter(
            "approvals",
            "answers to approvals, by channel (api, slack) "
            "and result (decided, unknown, already_decided, "
            "not_an_approver)",
            "via",
            "result",
        )
        self.slack = counter("slack_posts", "Slack thread posts and updates, by result", "result")
        self.slack_requests = counter(
            "slack_interactions",
            "POST /slack/interactions, by result (decided, refused, bad_payload)",
            "result",
        )
        self.ack_seconds = Histogram(
            "incident_graph_ack_seconds", "from the request to its durable 202, by source",
            ["source"], buckets=ACK_BUCKETS, registry=r,
        )  # fmt: skip
        self.run_seconds = Histogram(
            "incident_graph_run_seconds", "wall time of an incident run segment",
            buckets=RUN_BUCKETS, registry=r,
        )  # fmt: skip
        self.running = Gauge("incident_graph_running", "incidents running now", registry=r)
        if counts is not None:
            r.register(_Gauges("incident_graph_incidents", "incidents in the inbox, by status",
                               "status", counts))  # fmt: skip
        if depths is not None:
            r.register(_Gauges("incident_graph_queue_depth", "incident runs waiting in the "
                               "broker, by queue", "queue", depths))  # fmt: skip
        if workers is not None:
            r.register(_Gauges("incident_graph_workers", "graph worker processes answering "
                               "a ping, by queue prefix", "prefix", workers))  # fmt: skip

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Gauges(Collector):
    """One gauge per label value, read at each scrape (the inbox's counts, queue depths);
    a source that cannot be read leaves the family empty rather than failing the scrape."""

    def __init__(self, name: str, what: str, label: str, read: Callable[[], dict[str, int]]):
        self._name, self._what, self._label, self._read = name, what, label, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self._name, self._what, labels=[self._label])
        try:
            values = self._read()
        except Exception:  # the broker is away: the scrape says nothing of it this time
            values = {}
        for key, count in sorted(values.items()):
            family.add_metric([key], count)
        yield family

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())
