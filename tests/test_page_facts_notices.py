"""Status notices, hosts and configuration values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.root_cause.facts.configs import pairs_in
from agents.root_cause.facts.hosts import hosts_in
from agents.root_cause.facts.pages import page_facts
from agents.root_cause.facts.types import PageFacts
from tests.test_page_facts import ALERT, URL, at, heading, snap, table, text

STATUS_URL = "https://status.windmill-cloud.example.net/incidents/42"


def facts_of(*blocks: str, url: str = URL, title: str = "") -> PageFacts:
    return page_facts(snap(*blocks, title=title), url, "dashboard:5", ALERT)


# --- status pages ---------------------------------------------------------------------------


def cloud_status_page() -> str:
    return "\n".join(
        [
            text("windmill cloud status", "all times UTC · viewed 2025-06-03 11:32"),
            heading("Partial Outage: Block Storage ap-south-1b"),
            text(
                "Investigating - Volumes in ap-south-1b show increased latency and elevated error "
                "rates since 10:58 UTC; instances elsewhere keep working.",
                "Jun 3, 2025 - 11:20 UTC",
                "This incident affects: Block Storage (ap-south-1b), Instance snapshots.",
            ),
            table(
                [],
                [
                    ["Block Storage - ap-south-1b", "Partial Outage"],
                    ["Block Storage - ap-south-1a", "Operational"],
                    ["Control panel", "Operational"],
                ],
            ),
            heading("Past incidents"),
            text("Jun 1, 2025 - Slow API responses. Resolved 08:25 UTC."),
        ]
    )


def test_cloud_status_page() -> None:
    facts = facts_of(cloud_status_page(), url=STATUS_URL)
    assert len(facts.notices) == 1
    notice = facts.notices[0]
    assert (notice.provider, notice.kind, notice.status) == (
        "windmill cloud",
        "cloud",
        "partial outage",
    )
    assert notice.started == at("10:58")
    assert "Block Storage (ap-south-1b)" in notice.components
    assert "ap-south-1b" in notice.components and "Block Storage - ap-south-1b" in notice.components
    assert not any("ap-south-1a" in c or "Control panel" in c for c in notice.components)
    assert notice.source == "dashboard:5" and "elevated error" in notice.text


def maintenance_page(*updates: str) -> str:
    return "\n".join(
        [
            text("acmepay status", "All Systems Operational"),
            heading("Key rotation for api.acmepay.example"),
            text(*updates),
            heading("Past incidents"),
            text("May 30, 2025 - Partial Outage of webhooks. Resolved 08:25 UTC."),
        ]
    )


def test_a_maintenance_under_way_is_a_notice_from_its_first_update_not_its_announcement() -> None:
    page = maintenance_page(
        "CompletedThe scheduled maintenance has been completed. Jun 3, 2025 - 11:05 UTC",
        "In progressScheduled maintenance is currently in progress. Jun 3, 2025 - 10:40 UTC",
        "ScheduledOn Jun 3 between 10:40 and 11:40 UTC we will rotate the certificates. "
        "Posted May 20, 2025 - 09:00 UTC",
    )
    facts = facts_of(page, url="https://status.acmepay.example/")
    assert len(facts.notices) == 1
    notice = facts.notices[0]
    assert (notice.provider, notice.status) == ("acmepay", "scheduled maintenance")
    assert notice.started == at("10:40")


def test_a_maintenance_only_announced_starts_when_posted_and_glued_words_need_a_capital() -> None:
    announced = maintenance_page(
        "Scheduled maintenance - certificates rotate on Jun 9. Posted May 20, 2025 - 09:00 UTC"
    )
    facts = facts_of(announced, url="https://status.acmepay.example/")
    assert [n.started for n in facts.notices] == [at("09:00", day=20).replace(month=5)]
    quiet = maintenance_page("Everything was degraded-free: no updates since Jun 1.")
    assert facts_of(quiet, url="https://status.acmepay.example/").notices == ()


def test_a_maintenance_announced_for_a_later_day_starts_then_and_matches_no_failure_today() -> None:
    from agents.root_cause import correlate

    later = maintenance_page(
        "Scheduled maintenance: dashboard read-onlyJun 5, 2025 02:00 - 03:00 UTC. The API is "
        "not affected. Posted May 28, 2025 - 10:00 UTC"
    )
    [notice] = facts_of(later, url="https://status.acmepay.example/").notices
    assert notice.started == at("02:00", day=5)
    assert correlate.matching_notices([notice], at("11:00"), ["api.acmepay.example"], []) == []
    unknown = replace(notice, started=None)
    assert correlate.matching_notices([unknown], at("11:00"), ["api.acmepay.example"], []) == []


def test_dns_provider_notice_quoted_on_another_page() -> None:
    email = (
        "Subject: [Nimbus DNS] Identified - Nameservers in one anycast region unreachable. State: "
        "Identified Components: Anycast Edge - Major Outage; Zone API - Operational. We found the "
        "cause of timeouts seen by resolvers, beginning at 11:05 UTC."
    )
    notice = facts_of(text("Notes", email)).notices[0]
    assert (notice.provider, notice.kind, notice.status) == ("Nimbus DNS", "dns", "identified")
    assert notice.started == at("11:05")
    assert notice.components == ("Anycast Edge",)


def test_vendor_status_in_a_table_cell_and_a_status_host() -> None:
    facts = facts_of(
        table(["Time", "Errors", "Annotation"], [["11:20", "3", "Paywell status: Identified"]]),
        text(
            'status.paywell.io (11:25): "Monitoring - Card payments recovered. Components: '
            'Payments API - Degraded performance"'
        ),
    )
    [notice] = facts.notices
    assert (notice.provider, notice.kind, notice.status) == ("Paywell", "vendor", "identified")
    assert "Payments API" in notice.components


def test_a_vendor_naming_its_own_load_balancers_and_region_is_no_cloud_provider() -> None:
    page = "\n".join([
        text("Quillmark status", "all times UTC"),
        heading("Elevated errors for SDK connections in the EU region"),
        text("Identified - A configuration change to the load balancers in front of our EU "
             "delivery service caused errors; rolling back region by region.",
             "Beginning at 09:38 UTC, SDK requests fail with 503 responses."),
    ])  # fmt: skip
    [notice] = facts_of(page, url="https://status.quillmark.example.com/").notices
    assert notice.kind == "vendor"
    assert facts_of(cloud_status_page(), url=STATUS_URL).notices[0].kind == "cloud"


def test_cdn_notice() -> None:
    page = text(
        "edgecache status",
        "Degraded Performance - Elevated cache miss rates at points of presence in Europe; "
        "origin pulls are slower than usual. Started at 10:40 UTC.",
    )
    notice = facts_of(page).notices[0]
    assert (notice.kind, notice.status, notice.started) == (
        "cdn",
        "degraded performance",
        at("10:40"),
    )


def test_all_operational_is_no_notice() -> None:
    page = text(
        "quickbill status", "All Systems Operational", "API | Operational", "Webhooks | Operational"
    )
    assert facts_of(page).notices == ()


def test_only_past_incidents_is_no_notice() -> None:
    page = "\n".join(
        [
            text("quickbill status", "All Systems Operational"),
            heading("Past incidents"),
            text("Jun 1, 2025 - Partial Outage of webhooks. Resolved 08:25 UTC."),
        ]
    )
    assert facts_of(page).notices == ()


def test_runbook_naming_a_status_page_is_no_notice() -> None:
    runbook = (
        "RUNBOOK: card errors. Check status.paywell.io and the vendor channel; their "
        "status page often lags by 10 minutes. If our pods are degraded after a deploy, roll back."
    )
    assert facts_of(text(runbook)).notices == ()


def test_dashboard_called_service_health_is_not_a_status_page() -> None:
    page = text("Dashboards / svc-alpha · service health", "keys resolved through the cache")
    assert facts_of(page).notices == ()


# --- hosts ----------------------------------------------------------------------------------


def test_hosts_on_a_page_without_its_own() -> None:
    page = text(
        "GET https://api.example.net/v2/items failed; upstream db.prod.svc.cluster.local:5432",
        "cache cache-1.internal:7000 and 10.1.2.3:8443; see https://grafana.example.net/d/x",
        "mail oncall@example.net · file app/db.py · module pkg.module.Class · v1.2.3 · java.io",
    )
    found = facts_of(page).hosts
    assert found == ("api.example.net", "db.prod.svc.cluster.local", "cache-1.internal", "10.1.2.3")


@pytest.mark.parametrize(
    "written",
    [
        "see render.go:64 and main.py",  # files
        "org.example.db.Pool",  # a package written backwards
        "label app.example.io/name=alpha",  # a label key
        "versions 3.8.1 and 10.2",
        "ops@example.net",  # an e-mail address
    ],
)
def test_not_hosts(written: str) -> None:
    assert hosts_in(written) == []


# --- configuration values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "pair"),
    [
        ("env: CLIENT_TIMEOUT=2s WORKER_COUNT=8", ("CLIENT_TIMEOUT", "2s")),
        (
            '{"name":"UPSTREAM_URL","value":"http://b.example.net:80"}',
            ("UPSTREAM_URL", "http://b.example.net:80"),
        ),
        (
            "server.tomcat.threads.max = 10",
            ("server.tomcat.threads.max", "10"),
        ),
        ("engine ready pool_size=12 max_overflow=4", ("pool_size", "12")),
        ("JAVA_OPTS -Xmx2g -XX:NewRatio=3", ("-Xmx", "2g")),
        ("args --max-connections=200", ("max-connections", "200")),
        ("CACHE_TTL: 600", ("CACHE_TTL", "600")),
    ],
)
def test_config_pairs(written: str, pair: tuple[str, str]) -> None:
    assert pair in pairs_in(written)


@pytest.mark.parametrize(
    "written",
    [
        "2025-06-03T11:00:00Z INFO request_id=9f2a duration_ms=412 status=200",  # log fields
        "the retry budget = the number of attempts",  # prose
        'sum(rate(pool_wait{pool_name="main"}[5m]))',  # a query's label
        "little = the",
    ],
)
def test_not_config_pairs(written: str) -> None:
    assert pairs_in(written) == []


def test_a_json_dump_of_the_effective_configuration_gives_its_numbers_and_switches() -> None:
    dump = (
        '{ "ingest": { "enabled": true, "maxBatchSize": 500, "pollIntervalMs": 250 },'
        ' "requestId": 4711, "name": "orders-api", "owner": "team-a" }'
    )
    assert pairs_in(dump) == [("enabled", "true"), ("maxBatchSize", "500"),
                              ("pollIntervalMs", "250")]  # fmt: skip


def test_settings_table() -> None:
    settings = table(
        ["Setting", "Value", "Source"],
        [["max_connections", "250", "parameter group"], ["work_mem", "32MB", "default"]],
    )
    found = facts_of(settings).configs
    assert [(c.key, c.value) for c in found] == [("max_connections", "250"), ("work_mem", "32MB")]
    assert found[0].source == "dashboard:5"


def test_table_without_a_value_column_is_not_settings() -> None:
    keys = table(["API key", "Partner", "Requests"], [["k_1", "p_1", "10"], ["k_2", "p_2", "4"]])
    assert facts_of(keys).configs == ()


# --- a provider's health dashboard: a table of events ------------------------------------------

EVENTS_HEADER = ["Event", "Service", "Region / AZ", "Start time", "Last update", "Status"]


def test_an_open_event_in_a_health_dashboards_table_is_a_notice() -> None:
    found = facts_of(
        heading("Open and recent issues"),
        table(EVENTS_HEADER, [
            ["Increased API error rates", "Queue Service", "eu-central-2", "2025-06-03 10:58 UTC",
             "2025-06-03 11:20 UTC", "Open"],
            ["Increased provisioning latencies", "Compute", "eu-central-2", "2025-05-28 13:02 UTC",
             "2025-05-28 14:10 UTC", "Closed"],
        ]),
        title="Open issues | Nimbus Health Dashboard | Global",
    ).notices  # fmt: skip
    (notice,) = found
    assert (notice.provider, notice.kind, notice.status) == ("Nimbus", "cloud", "open")
    assert notice.components == ("Queue Service", "eu-central-2")
    assert notice.started == at("10:58")


def test_closed_events_tables_without_status_and_other_pages_give_no_notice() -> None:
    closed = [["Increased API error rates", "Queue Service", "eu-central-2",
               "2025-06-03 10:58 UTC", "2025-06-03 11:20 UTC", "Resolved"]]  # fmt: skip
    title = "Open issues | Nimbus Health Dashboard | Global"
    assert facts_of(table(EVENTS_HEADER, closed), title=title).notices == ()
    no_status = [h for h in EVENTS_HEADER if h != "Status"]
    rows = [["Increased API error rates", "Queue Service", "eu-central-2", "10:58", "11:20"]]
    assert facts_of(table(no_status, rows), title=title).notices == ()
    opened = [[*closed[0][:5], "Open"]]
    assert facts_of(table(EVENTS_HEADER, opened), title="Payments team · tickets").notices == ()
