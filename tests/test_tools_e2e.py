"""The MCP tool layer end to end: a scenario's world, real stdio servers and real Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcphost.threaded import ThreadedToolHost
from runtime.settings import Settings
from runtime.toolset import open_tools
from tests.conftest import ROOT, SCENARIOS
from world.loader import load
from world.runtime import World

pytestmark = pytest.mark.integration

SCENARIO = "db-pool-exhaustion"
GRAPH = [sys.executable, "-m", "cli.main"]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with World(load(SCENARIO, SCENARIOS)) as running:
        yield running


@pytest.fixture(scope="module")
def host(world: World) -> Iterator[ThreadedToolHost]:
    with ThreadedToolHost(lambda: open_tools(Settings(), world.env())) as started:
        yield started


def graph(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GRAPH, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_playwright_reads_the_dashboard(host: ThreadedToolHost, world: World) -> None:
    url = f"{world.endpoints.dashboards_url}/orders-db.html"
    navigated = host.call_sync("playwright.browser_navigate", {"url": url})
    assert navigated.status == "success", navigated.text
    snapshot = host.call_sync("playwright.browser_snapshot", {})
    assert snapshot.status == "success"
    assert "95%" in snapshot.text
    assert url in snapshot.text


def test_browser_cannot_leave_the_dashboards(host: ThreadedToolHost, world: World) -> None:
    slack_url = world.endpoints.slack_api_url + "auth.test"
    result = host.call_sync("playwright.browser_navigate", {"url": slack_url})
    assert result.status == "error"
    assert "ERR_BLOCKED_BY_CLIENT" in result.text


def test_github_returns_the_culprit_pr_with_patch(host: ThreadedToolHost) -> None:
    result = host.call_sync("github.get_pull_request", {"repo": "acme/orders-api", "number": 847})
    assert result.status == "success", result.text
    pr = result.data
    assert pr["number"] == 847
    assert pr["merged_at"] == "2026-03-10T10:04:00Z"
    patches = {f["filename"]: f["patch"] for f in pr["file_diffs"]}
    assert "@@" in patches["app/orders/history.py"], "the patch is part of the answer"


def test_slack_post_is_recorded_by_the_stand_in(host: ThreadedToolHost, world: World) -> None:
    args = {"channel": "#oncall-backend", "text": "orders-db pool at 95% (test)"}
    result = host.call_sync("slack.post_message", args)
    assert result.status == "success", result.text
    assert [m.text for m in world.slack.received("#oncall-backend")][-1] == args["text"]


def test_unknown_channel_is_a_clear_tool_error(host: ThreadedToolHost, world: World) -> None:
    before = len(world.slack.messages)
    result = host.call_sync("slack.post_message", {"channel": "#nope", "text": "x"})
    assert result.status == "error"
    assert "channel_not_found" in result.text
    assert len(world.slack.messages) == before


def test_cli_lists_tools_with_mutating_flags() -> None:
    done = graph("tools", "--scenario", SCENARIO, "--json")
    assert done.returncode == 0, done.stderr
    tools = {(t["server"], t["name"]): t["mutating"] for t in json.loads(done.stdout)}
    assert tools[("playwright", "browser_navigate")] is False
    assert tools[("playwright", "browser_snapshot")] is False
    assert tools[("playwright", "browser_click")] is True
    assert tools[("github", "list_pull_requests")] is False
    assert tools[("github", "get_pull_request")] is False
    assert tools[("github", "revert_pull_request")] is True
    assert tools[("github", "create_issue")] is True
    assert tools[("slack", "list_channels")] is False
    assert tools[("slack", "post_message")] is True


def test_cli_calls_in_one_session_navigate_then_snapshot() -> None:
    done = graph(
        "tools", "--scenario", SCENARIO,
        "--call", "playwright.browser_navigate",
        "--args", '{"url": "${DASHBOARDS_URL}/orders-db.html"}',
        "--call", "playwright.browser_snapshot",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "95%" in done.stdout


def test_cli_tool_error_goes_to_stderr_with_exit_1() -> None:
    done = graph(
        "tools", "--scenario", SCENARIO,
        "--call", "slack.post_message", "--args", '{"channel": "#nope", "text": "x"}',
    )  # fmt: skip
    assert done.returncode == 1
    assert "channel_not_found" in done.stderr


def test_cli_bad_args_json_is_exit_2() -> None:
    done = graph("tools", "--scenario", SCENARIO, "--call", "slack.list_channels", "--args", "{")
    assert done.returncode == 2
    assert "--args is not valid JSON" in done.stderr


def test_cli_unknown_scenario_is_exit_2() -> None:
    done = graph("tools", "--scenario", "no-such-scenario")
    assert done.returncode == 2
    assert "no scenario 'no-such-scenario'" in done.stderr
    assert SCENARIO in done.stderr


def test_cli_broken_mcp_config_is_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "mcp_servers.yaml"
    broken.write_text("servers:\n  github:\n    command: ${PYTHON}\n    arg: [-m, x]\n")
    done = graph("tools", "--scenario", SCENARIO, "--mcp", str(broken))
    assert done.returncode == 2
    assert f"{broken}: server 'github', arg" in done.stderr


def test_cli_server_that_does_not_start_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "mcp_servers.yaml"
    bad.write_text("servers:\n  github:\n    command: ${PYTHON}\n    args: [-m, no_such_module]\n")
    done = graph("tools", "--scenario", SCENARIO, "--mcp", str(bad))
    assert done.returncode == 2
    assert "MCP server 'github' did not start" in done.stderr
    assert "No module named no_such_module" in done.stderr


def test_cli_pairs_each_args_with_the_call_before_it() -> None:
    done = graph(
        "tools", "--scenario", SCENARIO,
        "--call", "slack.list_channels",
        "--call", "github.get_pull_request", "--args", '{"repo": "acme/orders-api", "number": 847}',
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"merged_at": "2026-03-10T10:04:00Z"' in done.stdout


def test_cli_args_without_a_call_is_a_usage_error() -> None:
    done = graph("tools", "--scenario", SCENARIO, "--args", "{}")
    assert done.returncode == 2
    assert "each --args must follow its own --call" in done.stderr
