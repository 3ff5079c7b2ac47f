"""Pages a read page links to: followed on the same server only."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.root_cause.evidence import (
    MAX_PAGES,
    _queued,
    dashboard_urls,
    linked_pages,
    page_subject,
    searched_pages,
)
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


# --- dashboard search: the list at the server's root -----------------------------------------

LISTING = """\
- list [ref=e2]:
  - listitem [ref=e3]:
    - link "cache-redis.html" [ref=e4] [cursor=pointer]:
      - /url: /cache-redis.html
  - listitem [ref=e5]:
    - link "billing-db.html" [ref=e6] [cursor=pointer]:
      - /url: /billing-db.html
  - listitem [ref=e7]:
    - link "shop-api-logs.html" [ref=e8] [cursor=pointer]:
      - /url: /shop-api-logs.html
  - listitem [ref=e9]:
    - link "runbook-cache-redis.txt" [ref=e10] [cursor=pointer]:
      - /url: /runbook-cache-redis.txt
  - listitem [ref=e11]:
    - link "shop-api.html" [ref=e12] [cursor=pointer]:
      - /url: /shop-api.html
  - listitem [ref=e15]:
    - link "geocodia-status.html" [ref=e16] [cursor=pointer]:
      - /url: /geocodia-status.html
  - listitem [ref=e17]:
    - link "status-overview.html" [ref=e18] [cursor=pointer]:
      - /url: /status-overview.html
  - listitem [ref=e13]:
    - link "elsewhere" [ref=e14] [cursor=pointer]:
      - /url: http://127.0.0.1:9999/cache-redis-admin.html
"""
INDEX = "http://127.0.0.1:4100/"
READ = ["http://127.0.0.1:4100/shop-api.html"]


def test_a_search_finds_the_page_of_the_dependency_shown_failing_then_the_services_own() -> None:
    said = ["cache-redis (client) | 900 | 410 | ReplyError: OOM command not allowed",
            "billing-db (PostgreSQL) | 402 | 0 | — | 6 ms"]  # fmt: skip
    found = searched_pages(LISTING, INDEX, READ, said, "shop-api")
    assert found == ["http://127.0.0.1:4100/cache-redis.html",
                     "http://127.0.0.1:4100/shop-api-logs.html"]  # fmt: skip


def test_a_search_finds_a_page_about_what_fails_whatever_kind_of_page_it_is() -> None:
    said = ["[Geocodia] WARN: error in stream connection (will retry): i/o timeout"]
    assert searched_pages(LISTING, INDEX, READ, said, "") == [
        "http://127.0.0.1:4100/geocodia-status.html"
    ]
    assert page_subject("geocodia-status") == "geocodia"
    assert page_subject("orders-db-table-health") == "orders-db"
    assert page_subject("status-geocodia") == "geocodia"
    assert page_subject("status-overview") == "status-overview"  # all kind: nothing to strip
    assert searched_pages(LISTING, INDEX, READ, ["status overview failing"], "") == []


def test_a_search_reads_no_page_named_after_nothing_failing() -> None:
    said = ["cache-redis: hit ratio 97% | p99 0.8 ms", "billing-db connections 40 of 200",
            "shop-api-logs-archive timeout"]  # fmt: skip
    assert searched_pages(LISTING, INDEX, READ, said, "") == []
    assert searched_pages(LISTING, INDEX, READ, said, "checkout") == []


def test_a_search_reads_the_pages_of_what_the_service_depends_on_after_its_own() -> None:
    said = ["shop-api 5xx ratio 8% failing: publish timed out"]
    found = searched_pages(LISTING, INDEX, READ, said, "shop-api", ["billing-db", "geo"])
    assert found == ["http://127.0.0.1:4100/shop-api-logs.html",
                     "http://127.0.0.1:4100/billing-db.html"]  # fmt: skip
    # a dependency's runbook is no page of what happened; a name too short to tell is none
    assert searched_pages(LISTING, INDEX, READ, [], "", ["cache-redis", "db"]) == [
        "http://127.0.0.1:4100/cache-redis.html"
    ]


def test_a_search_reads_the_page_of_the_alerts_cluster_last() -> None:
    listing = LISTING.replace("geocodia-status.html", "gke-shop-prod-eu1.html")
    found = searched_pages(listing, INDEX, READ, [], "shop-api", (), ["shop-prod-eu1"])
    assert found == ["http://127.0.0.1:4100/shop-api-logs.html",
                     "http://127.0.0.1:4100/gke-shop-prod-eu1.html"]  # fmt: skip
    assert "http://127.0.0.1:4100/gke-shop-prod-eu1.html" not in searched_pages(
        listing, INDEX, READ, [], "shop-api", (), ["shop-prod"]
    )  # a name's part is no match


def test_a_search_never_leaves_the_server_nor_rereads_a_page_nor_takes_a_runbook() -> None:
    said = ["cache-redis-admin errors 12/s", "shop-api 5xx ratio 8% failing",
            "runbook-cache-redis timeout"]  # fmt: skip
    assert searched_pages(LISTING, INDEX, READ, said, "shop-api") == [
        "http://127.0.0.1:4100/shop-api-logs.html"
    ]


def test_relative_links_are_read_against_the_page_that_holds_them() -> None:
    snapshot = '- link "DB" [ref=e1]:\n  - /url: ../db/orders-db.html\n'
    read = ["http://127.0.0.1:4100/api/shop.html"]
    assert linked_pages(snapshot, read, base=read[0]) == ["http://127.0.0.1:4100/db/orders-db.html"]
    assert linked_pages(snapshot, read) == []
