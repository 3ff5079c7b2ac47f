"""The replay world: dashboards on loopback, the alert payload, and `graph world`."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from github import Auth, Github
from slack_sdk import WebClient

from tests.conftest import ROOT, SCENARIOS
from world.loader import load
from world.runtime import World


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with World(load("db-pool-exhaustion", SCENARIOS)) as running:
        yield running


def test_everything_listens_on_loopback_only(world: World) -> None:
    for url in world.env().values():
        if url.startswith("http"):
            assert url.startswith("http://127.0.0.1:")


def test_dashboard_page_is_served_with_its_url_filled_in(world: World) -> None:
    base = world.endpoints.dashboards_url
    page = httpx.get(f"{base}/orders-db.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "95%" in page.text
    assert "${DASHBOARDS_URL}" not in page.text


def test_dashboards_are_read_only_and_closed(world: World) -> None:
    base = world.endpoints.dashboards_url
    assert httpx.get(f"{base}/").status_code == 200
    assert httpx.get(f"{base}/secrets.html").status_code == 404
    assert httpx.get(f"{base}/../scenario.yaml").status_code == 404
    assert httpx.post(f"{base}/orders-db.html").status_code == 405


def test_alert_payload_points_at_the_served_dashboard(world: World) -> None:
    payload = world.alert_payload()
    dashboard = payload["alerts"][0]["annotations"]["dashboard"]
    assert dashboard.startswith(world.endpoints.dashboards_url + "/")
    assert httpx.get(dashboard).status_code == 200


def test_graph_world_prints_working_urls_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "world", "--scenario", "db-pool-exhaustion"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        banner = _read_until(proc, "Ctrl-C stops it.")
        env = dict(re.findall(r"export (\w+)=(\S+)", banner))
        github = Github(base_url=env["GITHUB_API_URL"], auth=Auth.Token(env["GITHUB_TOKEN"]))
        assert github.get_repo("acme/orders-api").get_pull(847).merged
        slack = WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])
        assert slack.chat_postMessage(channel="#oncall-backend", text="from a test")["ok"]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "recorded 0 GitHub writes and 1 Slack messages" in out
    assert "#oncall-backend: from a test" in out


def _read_until(proc: subprocess.Popen[str], marker: str) -> str:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(
        f"graph world exited early: {''.join(lines)} {proc.stderr and proc.stderr.read()}"
    )
