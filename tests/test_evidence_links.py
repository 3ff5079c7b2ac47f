"""Pages a read page links to: followed on the same server only."""

from __future__ import annotations

from agents.root_cause.evidence import linked_pages

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
