"""Pages a read page links to: followed on the same server only."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.root_cause.evidence import MAX_PAGES, _queued, dashboard_urls, linked_pages
from core.state import Alert

SNAPSHOT = """\
- generic [ref=e1]:
  - link "Runbook" [ref=e2] [cursor=pointer]:
    - /url: http://127.0.0.1:4100/runbook.txt
  - link "Nodes" [ref=e3] [cursor=pointer]:
    - /url: http://127.0.0.1:4100/nodes.html#panel-2
  - link "Nodes again" [ref=e4] [cursor=pointer]:
    - /url: http://127.0.0.1:4100/nodes.html
  - link "Argo CD" [ref=e5] [cursor=pointer]:
    - /url: https://argocd.example.net/applications/api
  - link "Other port" [ref=e6] [cursor=pointer]:
    - /url: http://127.0.0.1:9999/evil.html
  - text: "/url: http://127.0.0.1:4100/in-text.html"
"""


def test_links_on_the_same_server_are_followed_once_in_page_order() -> None:
    read = ["http://127.0.0.1:4100/api.html", "http://127.0.0.1:4100/runbook.txt"]
    assert linked_pages(SNAPSHOT, read) == ["http://127.0.0.1:4100/nodes.html"]


def test_links_elsewhere_or_in_text_are_never_followed() -> None:
    assert linked_pages(SNAPSHOT, ["https://grafana.example.net/d/api"]) == []
    assert linked_pages("- text: no links here", ["http://127.0.0.1:4100/api.html"]) == []


def test_the_alerts_links_come_first_runbooks_last() -> None:
    base = "http://127.0.0.1:4100"
    links = {"runbook_url": f"{base}/runbook.txt", "summary": "5xx high",
             "dashboard": f"{base}/api.html", "status": f"{base}/health.html"}  # fmt: skip
    alert = Alert(source="alertmanager", fingerprint="f", name="X", status="firing",
                  starts_at=datetime(2026, 1, 1, tzinfo=UTC), labels={},
                  annotations=links)  # fmt: skip
    urls = dashboard_urls(alert)
    assert urls == [f"{base}/api.html", f"{base}/health.html", f"{base}/runbook.txt"]
    queued = _queued(urls, 0, [f"{base}/nodes.html", f"{base}/db.html"])
    assert queued == [f"{base}/api.html", f"{base}/health.html", f"{base}/nodes.html",
                      f"{base}/db.html"][:MAX_PAGES]  # fmt: skip
