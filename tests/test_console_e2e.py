"""The web console in a real Chromium (Playwright for Python) against `graph serve --world`
(scripted models): sign-in, the list with its filters, an incident page, a refusal for an
observer, an approval by a responder that resumes the graph, live updates; forged and
cross-site forms refused. The incident page's screenshot is kept in test-artifacts/."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.service_support import Running, kill_all, service_env, start_service
from tests.test_service_pipeline import World, send

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "test-artifacts"
TOKENS = {"olly": "olly-console-token", "dana": "dana-console-token"}
ROLES = "\n".join([
    "roles:",
    "  observer: {view: true}",
    "  responder: {approve: ['*']}",
    "people:",
    *(f"  {who}: {{token_sha256: {hashlib.sha256(t.encode()).hexdigest()}, "
      f"environments: {{'*': {'observer' if who == 'olly' else 'responder'}}}}}"
      for who, t in TOKENS.items()),
]) + "\n"  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, World]]:
    state = tmp_path_factory.mktemp("console")
    (state / "roles.yaml").write_text(ROLES)
    env = service_env(state, INCIDENT_GRAPH_ROLES_FILE=str(state / "roles.yaml"))
    running = start_service(state / "serve.log", ["--world", "db-pool-exhaustion"], env)
    try:
        yield running, World(running.banner)
        assert running.stop() == 0
    finally:
        kill_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make chromium` installs it")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(browser: object, url: str, who: str) -> Page:
    page: Page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/ui")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.get_by_label("Token", exact=True).fill(TOKENS[who])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    return page


def test_the_console_shows_incidents_and_takes_approvals_as_roles_allow(
    served: tuple[Running, World], browser: object
) -> None:
    service, world = served
    iid = send(service, world.payload)["incident_id"]
    service.wait_for(iid, lambda i: i["status"] == "awaiting_approval")

    page = sign_in(browser, service.url, "olly")
    row = page.get_by_role("row").filter(has_text=iid)
    expect(row).to_contain_text("critical")
    expect(row).to_contain_text("awaiting approval")
    expect(row).to_contain_text("PR #847")
    page.get_by_label("Status").select_option("completed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No incidents match these filters")).to_be_visible()
    page.get_by_label("Status").select_option("awaiting_approval")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=re.compile("DBConnectionPoolHigh")).click()
    expect(page.get_by_role("heading", name="Root cause")).to_be_visible()
    expect(page.locator("main")).to_contain_text("app/orders/history.py:26")
    expect(page.get_by_role("row").filter(has_text="root_cause")).to_contain_text("large")
    expect(page.get_by_text(re.compile("You cannot answer this: olly's role"))).to_be_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login"))

    page = sign_in(browser, service.url, "dana")
    page.goto(f"{service.url}/ui/incidents/{iid}")
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "console-incident.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    approve = page.get_by_role("button", name="Approve")
    approve.focus()
    page.keyboard.press("Enter")  # keyboard alone answers
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.locator("main")).to_contain_text("completed", timeout=30_000)  # live update
    expect(page.locator("main")).to_contain_text("approved by dana as responder")
    assert [w["kind"] for w in world.writes()] == ["revert_pull_request"]
    page.get_by_role("link", name="Tokens and cost").click()
    expect(page.get_by_role("row").filter(has_text="root_cause")).to_contain_text("large")
    expect(page.locator("main")).to_contain_text("routing saved")
    page.context.close()


def assert_accessible(page: Page) -> None:
    """The basics: a language, one h1, every visible field labelled, buttons named."""
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
    for field in page.locator("input:not([type=hidden]), select").all():
        name = field.get_attribute("id")
        assert name and page.locator(f"label[for='{name}']").count() == 1, field
    for button in page.get_by_role("button").all():
        assert (button.text_content() or "").strip(), "every button says what it does"


def test_forged_or_cross_site_forms_are_refused(served: tuple[Running, World]) -> None:
    service, _ = served
    with httpx.Client(base_url=service.url, follow_redirects=False) as client:
        assert client.get("/ui/incidents").status_code == 303, "signed out: to the login"
        wrong = client.post("/ui/login", data={"token": "guess"})
        assert wrong.status_code == 401 and "wrong token" in wrong.text
        signed = client.post("/ui/login", data={"token": TOKENS["dana"]})
        assert signed.status_code == 303 and "HttpOnly" in signed.headers["set-cookie"]
        assert "SameSite=strict" in signed.headers["set-cookie"]
        path = "/ui/incidents/x/approvals/y"
        forged = client.post(path, data={"decision": "approve", "csrf": "guess"})
        assert forged.status_code == 403 and "forged" in forged.text
        elsewhere = client.post(path, data={"decision": "approve"},
                                headers={"Origin": "https://evil.example"})  # fmt: skip
        assert elsewhere.status_code == 403 and "cross-site" in elsewhere.text
        page = client.get("/ui/incidents")
        assert "script-src 'nonce-" in page.headers["content-security-policy"]
