"""The scenario contract: seed scenarios load, and every class of bad file is named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SCENARIOS
from world.loader import ScenarioError, discover, load, load_file

VALID = """\
name: mini
title: A small but valid scenario
now: "2026-03-14T10:20:00Z"
alert:
  format: alertmanager
  payload:
    version: "4"
    status: firing
    alerts:
      - status: firing
        labels: {alertname: DBConnectionPoolHigh, service: orders-api}
        annotations: {dashboard: "${DASHBOARDS_URL}/db.html"}
        startsAt: "2026-03-14T10:12:00Z"
services:
  orders-api:
    repo: acme/orders-api
    channel: "#oncall-backend"
    team: backend
    tier: 1
dashboards:
  db.html: db.html
github:
  repos:
    acme/orders-api:
      pulls:
        - number: 847
          title: Load order items
          user: dana
          state: closed
          merged_at: "2026-03-14T10:04:00Z"
          merge_commit_sha: 9f1c2e7
slack:
  channels: ["#oncall-backend", "#general"]
expect:
  severity: critical
  root_cause: {pr: 847, keywords: ["N+1"]}
  notify: ["#oncall-backend"]
  actions:
    - tool: revert_pull_request
      args: {pr: 847}
      verdict: needs_approval
"""


def write(tmp_path: Path, text: str, pages: tuple[str, ...] = ("db.html",)) -> Path:
    folder = tmp_path / "mini"
    folder.mkdir(exist_ok=True)
    for page in pages:
        (folder / page).write_text("<html>pool at 95%</html>")
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_valid_scenario_loads(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, VALID))
    assert loaded.spec.pull("acme/orders-api", 847) is not None
    assert loaded.spec.expect.present() == ["severity", "root_cause", "notify", "actions"]
    assert loaded.page("db.html").startswith(b"<html>")


@pytest.mark.parametrize("folder", discover(SCENARIOS), ids=lambda p: p.name)
def test_seed_scenarios_are_valid(folder: Path) -> None:
    loaded = load(folder.name, SCENARIOS)
    assert loaded.spec.name == folder.name
    assert len(loaded.spec.all_pulls()) >= 3, "seed scenarios carry red herrings"


def test_there_are_three_seed_scenarios() -> None:
    names = {p.name for p in discover(SCENARIOS)}
    assert {"db-pool-exhaustion", "worker-memory-leak", "ssl-cert-expiry"} <= names


def test_unknown_top_level_key_names_file_and_line(tmp_path: Path) -> None:
    text = VALID + "runbook: fix it\n"
    path = write(tmp_path, text)
    message = problems(path)
    assert f"{path}:{line_of(text, 'runbook')}: runbook: unknown key" in message


def test_unknown_nested_key(tmp_path: Path) -> None:
    text = VALID.replace("    tier: 1", "    tier: 1\n    pager: oncall")
    message = problems(write(tmp_path, text))
    assert f":{line_of(text, 'pager')}: services.orders-api.pager: unknown key" in message


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    text = VALID.replace("tier: 1", 'tier: "1"')
    message = problems(write(tmp_path, text))
    assert f":{line_of(text, 'tier')}: services.orders-api.tier:" in message
    assert "'1'" in message


def test_bad_timestamp_says_what_is_expected(tmp_path: Path) -> None:
    text = VALID.replace('merged_at: "2026-03-14T10:04:00Z"', "merged_at: 2026-03-14 10:04")
    message = problems(write(tmp_path, text))
    field = "github.repos.acme/orders-api.pulls[0].merged_at"
    assert f":{line_of(text, 'merged_at')}: {field}: expected an RFC 3339 timestamp" in message


def test_alert_without_zone_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace('startsAt: "2026-03-14T10:12:00Z"', 'startsAt: "2026-03-14T10:12:00"')
    assert "RFC 3339" in problems(write(tmp_path, text))


def test_missing_page(tmp_path: Path) -> None:
    message = problems(write(tmp_path, VALID, pages=()))
    assert "dashboards.db.html: page file 'db.html' not found" in message


def test_page_referenced_but_not_served(tmp_path: Path) -> None:
    text = VALID.replace("${DASHBOARDS_URL}/db.html", "${DASHBOARDS_URL}/other.html")
    assert "${DASHBOARDS_URL}/other.html is referenced but not served" in problems(
        write(tmp_path, text)
    )


def test_expected_pr_not_in_history(tmp_path: Path) -> None:
    text = VALID.replace("root_cause: {pr: 847", "root_cause: {pr: 999")
    message = problems(write(tmp_path, text))
    assert f":{line_of(text, 'pr: 999')}: expect.root_cause.pr: PR 999 is not in" in message


def test_expected_commit_not_in_history(tmp_path: Path) -> None:
    text = VALID.replace("root_cause: {pr: 847", "root_cause: {commit: abcdef1")
    assert "no commit starting abcdef1" in problems(write(tmp_path, text))


def test_root_cause_needs_exactly_one_answer(tmp_path: Path) -> None:
    text = VALID.replace("root_cause: {pr: 847", "root_cause: {pr: 847, none: true")
    assert "exactly one of pr, commit or none" in problems(write(tmp_path, text))


def test_name_must_match_folder(tmp_path: Path) -> None:
    text = VALID.replace("name: mini", "name: other")
    assert "must equal the folder name 'mini'" in problems(write(tmp_path, text))


def test_unknown_action_lists_the_vocabulary(tmp_path: Path) -> None:
    text = VALID.replace("tool: revert_pull_request", "tool: revert_pr")
    message = problems(write(tmp_path, text))
    assert "unknown action 'revert_pr'; expected one of" in message
    assert "restart_deployment" in message


def test_channels_must_exist(tmp_path: Path) -> None:
    text = VALID.replace('notify: ["#oncall-backend"]', 'notify: ["#oncall-frontend"]')
    assert "expect.notify[0]: #oncall-frontend is not in slack.channels" in problems(
        write(tmp_path, text)
    )


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    text = VALID.replace("title: A small", "title: [A small")
    message = problems(write(tmp_path, text))
    assert "(yaml)" in message
    assert str(tmp_path / "mini" / "scenario.yaml") in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("tier: 1", "tier: 7").replace("severity: critical", "severity: urgent")
    message = problems(write(tmp_path, text))
    assert "services.orders-api.tier" in message
    assert "expect.severity" in message


def test_unknown_scenario_name_lists_known_ones(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    with pytest.raises(FileNotFoundError, match="known scenarios in .*: mini"):
        load("nope", tmp_path)
